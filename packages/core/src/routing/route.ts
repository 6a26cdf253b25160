// The route model: options users pass to registerRoute and the resolved route the pipeline reads.
import type { CircuitBreakerOptions } from '../breaker/circuit-breaker.js'
import type { UpstreamPool } from '../pool/upstream-pool.js'
import type { RetryOptions } from '../retry/retry-policy.js'
import type { CoreRouteOptions, UpstreamTLSOptions } from './schema.js'

/**
 * Options of `registerRoute`: the core's fields (routing/schema.ts); each capability extends this interface with its
 * own schema's fields by declaration merging, and option-schemas.ts composes the schemas that validate them.
 */
export interface RouteOptions extends CoreRouteOptions {}

export interface ResolvedRouteOptions {
  methods: readonly string[] | undefined
  timeoutMs: number
  totalTimeoutMs: number | undefined
  retry: RetryOptions
  circuitBreaker: CircuitBreakerOptions
  stripPrefix: boolean
  maxBodyBytes: number
  preserveHost: boolean
  rewriteRedirects: boolean
  rewriteCookies: boolean
  http2: boolean
  http2MaxConcurrentStreams: number
  tls: UpstreamTLSOptions | undefined
}

export interface Route {
  readonly id: string
  readonly prefix: string
  readonly pool: UpstreamPool
  /** Upper-case methods accepted, or undefined for all. */
  readonly methods: ReadonlySet<string> | undefined
  /** Value of the Allow header on 405. */
  readonly allow: string
  readonly options: ResolvedRouteOptions
  /** The options as the user gave them, for capabilities that read their own fields. */
  readonly raw: Readonly<RouteOptions>
}

/** `/api/users` → `api-users`; `/` → `root`. */
export const routeIdFromPrefix = (prefix: string): string => (prefix === '/' ? 'root' : prefix.slice(1).replace(/[^A-Za-z0-9_.-]+/g, '-'))
