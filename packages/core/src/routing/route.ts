// The route model: options users pass to registerRoute and the resolved route the pipeline reads.
import type { CircuitBreakerOptions } from '../breaker/circuit-breaker.js'
import type { UpstreamPool } from '../pool/upstream-pool.js'
import type { RetryOptions } from '../retry/retry-policy.js'

/**
 * Options of `registerRoute`. Capabilities add their own fields by declaration merging
 * (`declare module '../routing/route.js' { interface RouteOptions { … } }`), so the object grows without edits here.
 */
export interface RouteOptions {
  /** Allowed methods; others get 405 with an Allow header. Default: all. */
  methods?: string[]
  /** Per upstream attempt, in ms; exceeded → 504 upstream_timeout. Default 30 000. */
  timeoutMs?: number
  /** Total time budget for all attempts and backoff, in ms. Default: timeoutMs × attempts + backoff. */
  totalTimeoutMs?: number
  retry?: Partial<RetryOptions>
  circuitBreaker?: Partial<CircuitBreakerOptions>
  /** Remove the route prefix before forwarding. Default false: the upstream sees the full path. */
  stripPrefix?: boolean
  /** Largest request body accepted, in bytes; larger → 413. Default 10 MiB. */
  maxBodyBytes?: number
  /** A stable id for the admin API and metrics; default derived from the prefix (`/api/users` → `api-users`). */
  id?: string
  /** Send the client's Host header upstream instead of the target's host. Default false (like Kong and nginx). */
  preserveHost?: boolean
}

export interface ResolvedRouteOptions {
  methods: readonly string[] | undefined
  timeoutMs: number
  totalTimeoutMs: number | undefined
  retry: RetryOptions
  circuitBreaker: CircuitBreakerOptions
  stripPrefix: boolean
  maxBodyBytes: number
  preserveHost: boolean
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
