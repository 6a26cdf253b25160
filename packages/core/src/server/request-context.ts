// What the gateway records about a request before routing: its normalized path and who the client is.
import type { Context, MiddlewareHandler } from 'hono'
import '../context.js'
import { jsonError } from '../errors.js'
import { normalizeIp, peerTrusted, resolveClientIp, type ProxyTrust } from '../proxy/client-ip.js'
import { incomingOf } from '../proxy/node-bindings.js'
import { requestHeader } from '../proxy/request-header.js'
import { normalizePath } from '../routing/normalize-path.js'
import type { Route } from '../routing/route.js'

const splitUrl = (url: string): { path: string } => {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return { path: '/' }
  const q = url.indexOf('?', start)
  const hash = url.indexOf('#', start)
  const end = q >= 0 ? q : hash >= 0 ? hash : url.length
  return { path: url.slice(start, end) }
}

/**
 * Sets `startTime`, `normalizedPath`, `peerIp`, `clientIp` and `clientId` (the client IP until auth names a key);
 * X-Forwarded-For is read only from a trusted peer. Returns the normalized path.
 */
export const recordRequestContext = (c: Context, startTime: number, trustProxy: ProxyTrust): string => {
  const path = normalizePath(splitUrl(c.req.url).path)
  const remote = incomingOf(c)?.socket.remoteAddress
  const peer = remote ? normalizeIp(remote) : '127.0.0.1'
  const xff = peerTrusted(peer, trustProxy) ? requestHeader(c, 'x-forwarded-for') : undefined
  const clientIp = xff === undefined ? peer : resolveClientIp(peer, xff, trustProxy)
  c.set('startTime', startTime)
  c.set('normalizedPath', path)
  c.set('peerIp', peer)
  c.set('clientIp', clientIp)
  c.set('clientId', clientIp)
  return path
}

/** 405 with Allow for methods the route does not take (routes with `methods` only). */
export const methodFilter = (route: Route): MiddlewareHandler =>
  async function methodFilter(c, next) {
    if (!route.methods!.has(c.req.method)) {
      return jsonError(c, 405, 'method_not_allowed', `${c.req.method} is not allowed on ${route.prefix}`, { Allow: route.allow })
    }
    await next()
  }
