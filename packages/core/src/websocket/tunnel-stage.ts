// The ends of an upgrade request's pipeline: the gate in front (501s) and the terminal that opens the tunnel.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import '../context.js'
import { jsonError } from '../errors.js'
import type { ProxyTrust } from '../proxy/client-ip.js'
import { circuitOpenResponse, hashKeyOf, noTargetResponse, pickTarget, upstreamHeadersOf, upstreamPath } from '../proxy/forward.js'
import { cleanResponseHeaders, lowerCaseNames } from '../proxy/headers.js'
import { incomingOf } from '../proxy/node-bindings.js'
import { requestHeader } from '../proxy/request-header.js'
import type { Route } from '../routing/route.js'
import { upstreamHandshake } from './handshake.js'
import type { TunnelLimits } from './schema.js'
import type { TunnelTimeouts, WebSocketTunnels } from './tunnels.js'
import { upgradeOf } from './upgrade-bindings.js'

/** Default idle timeout of a tunnel, in ms. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000

/**
 * First stage of an upgrade request: 501 for an `Upgrade` other than websocket (h2c…) and on routes with
 * `websocket: false`, before any stage spends a rate-limit unit on it.
 */
export const websocketGate = (route: Route): MiddlewareHandler =>
  async function websocketGate(c, next) {
    const protocol = requestHeader(c, 'upgrade')?.trim().toLowerCase()
    if (protocol !== 'websocket') {
      return jsonError(c, 501, 'upgrade_not_supported', `Upgrade to ${JSON.stringify(protocol ?? '')} is not supported; only websocket is`)
    }
    if (route.raw.websocket === false) return jsonError(c, 501, 'websocket_not_supported', `WebSocket is not enabled on ${route.prefix}`)
    await next()
  }

export interface TunnelTerminalDeps {
  breakers: CircuitBreakerRegistry
  trustProxy: ProxyTrust
  via: string
  tunnels: WebSocketTunnels
  /** The gateway's `websocket` option. */
  limits: TunnelLimits | undefined
}

const timeoutsFor = (route: Route, gateway: TunnelLimits | undefined): TunnelTimeouts => {
  const own = typeof route.raw.websocket === 'object' ? route.raw.websocket : undefined
  return {
    idleTimeoutMs: own?.idleTimeoutMs ?? gateway?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxLifetimeMs: own?.maxLifetimeMs ?? gateway?.maxLifetimeMs,
  }
}

/** The 101 as the upstream sent it (its Sec-WebSocket-Accept, protocol and extensions), for the client. */
const switchingHead = (rawHeaders: readonly string[]): string => {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n'
  for (let i = 0; i < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`
  return `${head}\r\n`
}

/** An upstream's refusal (no 101) as the client's answer: its status, cleaned headers and body. */
const refusal = (c: Context, response: IncomingMessage, via: string): Response => {
  const status = response.statusCode ?? 502
  if (status < 200 || status > 599) {
    response.destroy()
    c.set('gatewayError', 'bad_gateway')
    return jsonError(c, 502, 'bad_gateway', `The upstream answered the upgrade with ${status}`)
  }
  const headers = new Headers()
  const pairs = cleanResponseHeaders(lowerCaseNames(response.rawHeaders), via)
  for (let i = 0; i < pairs.length; i += 2) headers.append(pairs[i]!, pairs[i + 1]!)
  const bodiless = status === 204 || status === 205 || status === 304
  if (bodiless) response.resume()
  return new Response(bodiless ? null : (ReadableStream.from(response) as ReadableStream), { status, headers })
}

/**
 * Terminal of an upgrade request's pipeline, in place of the forwarder: picks a target (pool, breaker), sends the
 * upgrade on a connection of its own within the route's timeoutMs, and on the upstream's 101 writes it to the client
 * and hands both sockets to `tunnels`. Any other answer is returned for the client, status and all.
 */
export const tunnelTerminal = (deps: TunnelTerminalDeps) =>
  async function openTunnel(c: Context): Promise<Response> {
    const upgrade = upgradeOf(c)
    const route = c.get('route')
    if (!upgrade) return jsonError(c, 501, 'websocket_not_supported', 'WebSocket needs a socket: start() the gateway')
    const target = pickTarget(route, deps.breakers, undefined, hashKeyOf(c, route))
    if (!target) return noTargetResponse(c, route, deps.breakers)
    const breaker = deps.breakers.get(target.origin, route.options.circuitBreaker)
    if (!breaker.tryAcquire()) return circuitOpenResponse(c, breaker)
    const headers = upstreamHeadersOf(c, incomingOf(c), deps.trustProxy, deps.via)
    if (!route.options.preserveHost) headers.host = target.url.host
    headers.connection = 'upgrade'
    headers.upgrade = 'websocket'
    c.set('upstreamTarget', target)
    c.set('upstreamAttempts', 1)
    target.requests++
    target.inFlight++
    const result = await upstreamHandshake({
      target,
      path: upstreamPath(c, route),
      headers,
      timeoutMs: route.options.timeoutMs,
      signal: c.req.raw.signal,
    })
    if (result.kind !== 'upgraded') target.inFlight--
    switch (result.kind) {
      case 'client-gone':
        breaker.release()
        return new Response(null, { status: 499 })
      case 'timeout':
      case 'error':
        breaker.onFailure()
        target.failures++
        c.set('gatewayError', result.kind === 'timeout' ? 'upstream_timeout' : 'bad_gateway')
        return result.kind === 'timeout'
          ? jsonError(c, 504 as ContentfulStatusCode, 'upstream_timeout', 'The upstream did not answer the upgrade in time')
          : jsonError(c, 502, 'bad_gateway', 'The upstream could not be reached or failed')
      case 'response':
        if ((result.response.statusCode ?? 502) >= 500) {
          breaker.onFailure()
          target.failures++
        } else breaker.onSuccess()
        return refusal(c, result.response, deps.via)
      case 'upgraded': {
        breaker.onSuccess()
        const client = upgrade.socket
        const upstream = result.socket as Socket
        if (client.destroyed) {
          target.inFlight--
          upstream.destroy()
          return new Response(null, { status: 499 })
        }
        upgrade.tunneled = true
        client.write(switchingHead(result.response.rawHeaders))
        deps.tunnels.open(client, upgrade.head, upstream, result.head, timeoutsFor(route, deps.limits), () => target.inFlight--)
        // Only the stages see this answer (rate-limit headers, metrics); the client already has its 101.
        return new Response(null, { status: 200 })
      }
    }
  }
