// Reading request headers on the hot path without making @hono/node-server build a Headers object.
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'

/** The Node request behind `c`, when it came through a socket. */
export const incomingOf = (c: Context): IncomingMessage | undefined => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming

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
