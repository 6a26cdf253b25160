// Typed context variables shared by the pipeline stages: declared once, read with c.get(...).
import type { ErrorCode } from './errors.js'
import type { RouteMetrics } from './metrics/gateway-metrics.js'
import type { RequestTrace } from './observability/request-trace.js'
import type { UpstreamTarget } from './pool/types.js'
import type { Route } from './routing/route.js'

/** What an authenticated caller's API key exposes to later stages: never the secret. */
export interface APIKeyIdentity {
  /** Public key id, safe for logs and metrics. */
  id: string
  name: string
  /** The key's own rate limit (a RateLimitConfig), if it has one. */
  rateLimit?: unknown
  /** The key's tier name, if it has one. */
  tier?: string
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The matched route (set before any custom middleware runs). */
    route: Route
    /** The matched route's metrics handle, for stages that count (rate-limit rejections, cache hits). */
    routeMetrics: RouteMetrics
    /** The request path after normalisation (dot segments, repeated slashes). */
    normalizedPath: string
    /** The socket peer's IP (or '127.0.0.1' for requests that came through fetch() without a socket). */
    peerIp: string
    /** Client IP: the socket peer, or X-Forwarded-For's client when trustProxy allows it. */
    clientIp: string
    /** performance.now() when the gateway received the request. */
    startTime: number
    /** The authenticated caller's key (requireAuth routes and any request with a valid key). */
    apiKey: APIKeyIdentity | undefined
    /** Caller identity for limits: the key id when present, else the client IP. */
    clientId: string
    /**
     * Headers to set on the upstream request (lower-case names; undefined removes one). Middleware uses this
     * instead of editing c.req.raw.headers, which the forwarder does not read.
     */
    upstreamRequestHeaders: Record<string, string | undefined> | undefined
    /** Request headers not to forward upstream (lower-case), added by stages such as auth. */
    dropRequestHeaders: string[] | undefined
    /** Set by the cache stage: the request body is not forwarded upstream (a GET/HEAD body the cache cannot key on). */
    dropRequestBody: boolean | undefined
    /** Set when the gateway itself produced an error response (bad_gateway, circuit_open, …). */
    gatewayError: ErrorCode | undefined
    /** The upstream target the last attempt went to. */
    upstreamTarget: UpstreamTarget | undefined
    /** Upstream attempts made for this request. */
    upstreamAttempts: number
    /** The request's ID: the client's X-Request-Id when usable, else a UUID (sent upstream, returned, in error bodies). */
    requestId: string
    /** The request-id header's name when the `requestIdHeader` option changed it (else x-request-id). */
    requestIdHeader: string | undefined
    /** The request's W3C trace context (absent with `tracing: false`). */
    trace: RequestTrace | undefined
    /** The client socket's bytesWritten when the request arrived (access logs: bytes out of this answer). */
    socketBytesAtStart: number | undefined
    /** Set by the cache stage: hit, miss, stale, revalidated or bypass. */
    cacheResult: string | undefined
    /** Set by the rate-limit stage: allowed, limited, or error (the store failed). */
    rateLimitDecision: 'allowed' | 'limited' | 'error' | undefined
  }
}
