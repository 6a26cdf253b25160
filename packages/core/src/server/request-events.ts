// The per-request event integrators listen to (`gateway.on('request', e => …)`), built from what the stages recorded.
import type { Context } from 'hono'
import '../context.js'

/** One event per request, for integrators (`gateway.on('request', e => …)`). */
export interface RequestEvent {
  /** The request's ID (also sent upstream and returned as X-Request-Id). */
  requestId: string
  method: string
  path: string
  routeId: string | undefined
  status: number
  durationMs: number
  clientId: string | undefined
  upstream: string | undefined
  attempts: number
  error: string | undefined
}

/** The event for a finished request; `error` is the code of a response the gateway made itself. */
export const requestEvent = (c: Context, path: string, status: number, durationMs: number): RequestEvent => ({
  requestId: c.get('requestId'),
  method: c.req.method,
  path,
  routeId: c.get('route')?.id,
  status,
  durationMs,
  clientId: c.get('clientId'),
  upstream: c.get('upstreamTarget')?.origin,
  attempts: c.get('upstreamAttempts') ?? 0,
  error: c.get('gatewayError'),
})
