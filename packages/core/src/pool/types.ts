// The upstream model: every route forwards to a pool of targets; one URL is the simplest pool.

/** How a pool chooses among its eligible targets. */
export type BalanceStrategy = 'round-robin' | 'least-connections' | 'random' | 'hash'

export interface TargetSpec {
  url: string
  /** Relative share of traffic for weighted strategies. Default 1. */
  weight?: number
}

export interface HealthCheckOptions {
  /** Path probed with GET on each target. */
  path: string
  intervalMs?: number
  timeoutMs?: number
  healthyThreshold?: number
  unhealthyThreshold?: number
}

export interface PoolSpec {
  targets: Array<string | TargetSpec>
  balance?: BalanceStrategy
  /** For `balance: 'hash'`: a request header whose value picks the target; default the client IP. */
  hashOn?: string
  healthCheck?: HealthCheckOptions
}

/** What `registerRoute` accepts as its upstream: a URL, a list of URLs, or a pool spec. */
export type UpstreamSpec = string | string[] | PoolSpec

/** One upstream target with its live counters (mutated in place on the hot path, never reallocated). */
export interface UpstreamTarget {
  readonly index: number
  readonly url: URL
  /** `protocol://host:port`: the key of its circuit breaker and connection pool. */
  readonly origin: string
  /** Path of the target URL without a trailing slash ('' for a bare origin); prepended to forwarded paths. */
  readonly basePath: string
  readonly weight: number
  /** Set by active health checks; true until a check says otherwise. */
  healthy: boolean
  /** A drained target finishes its in-flight requests and receives no new ones. */
  draining: boolean
  inFlight: number
  requests: number
  failures: number
  lastCheckAt: number | undefined
  lastCheckError: string | undefined
}

/** Chooses one target among those for which `eligible` is true; undefined when none is. */
export interface Balancer {
  pick(targets: readonly UpstreamTarget[], eligible: (target: UpstreamTarget) => boolean, hashKey: string | undefined): UpstreamTarget | undefined
  /** Called when the target set changes (targets added or removed). */
  reset?(targets: readonly UpstreamTarget[]): void
}
