// Reading request headers on the hot path without making @hono/node-server build a Headers object.
import type { Context } from 'hono'
import { incomingOf } from './node-bindings.js'

/**
 * A request header (lower-case `name`). On a socket it reads Node's parsed headers: `c.req.header()` would make
 * @hono/node-server convert every raw header into a Headers object first, a few µs on each request.
 */
export const requestHeader = (c: Context, name: string): string | undefined => {
  const incoming = incomingOf(c)
  if (!incoming) return c.req.header(name)
  const value = incoming.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}
