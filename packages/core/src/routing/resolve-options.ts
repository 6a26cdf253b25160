// registerRoute's core options with their defaults filled in (the schema in routing/schema.ts validated them).
import { defaultCircuitBreakerOptions } from '../breaker/circuit-breaker.js'
import { defaultRetryOptions } from '../retry/retry-policy.js'
import type { ResolvedRouteOptions, RouteOptions } from './route.js'

/** Default per-attempt timeout, in ms. */
export const DEFAULT_TIMEOUT_MS = 30_000
/** Default concurrent streams per HTTP/2 connection (undici's and Node's). */
export const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS = 100
/** Default largest request body, in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

/** Defaults for the core's own route options (validated input; capabilities resolve their own fields). */
export const resolveRouteOptions = (options: RouteOptions): ResolvedRouteOptions => {
  let methods = options.methods?.map((m) => m.toUpperCase())
  // HEAD is served wherever GET is, as HTTP expects.
  if (methods?.includes('GET') && !methods.includes('HEAD')) methods = [...methods, 'HEAD']
  return {
    methods,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    totalTimeoutMs: options.totalTimeoutMs,
    retry: { ...defaultRetryOptions, ...options.retry },
    circuitBreaker: { ...defaultCircuitBreakerOptions, ...options.circuitBreaker },
    stripPrefix: options.stripPrefix ?? false,
    preserveHost: options.preserveHost ?? false,
    rewriteRedirects: options.rewriteRedirects ?? true,
    rewriteCookies: options.rewriteCookies ?? false,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    http2: options.http2 ?? false,
    http2MaxConcurrentStreams: options.http2MaxConcurrentStreams ?? DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
    tls: options.tls,
  }
}
