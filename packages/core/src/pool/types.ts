// The upstream model: every route forwards to a pool of targets; one URL is the simplest pool.
import type { z } from 'zod'
import type { BALANCE_STRATEGIES, healthCheckSchema, poolSpecSchema, targetSpecSchema, upstreamSpecSchema } from './schema.js'

/** How a pool chooses among its eligible targets. */
export type BalanceStrategy = (typeof BALANCE_STRATEGIES)[number]

export type TargetSpec = z.input<typeof targetSpecSchema>

export type HealthCheckOptions = z.input<typeof healthCheckSchema>

/** Health-check options with every default filled in. */
export type ResolvedHealthCheckOptions = Required<HealthCheckOptions>

export type PoolSpec = z.input<typeof poolSpecSchema>

/** What `registerRoute` accepts as its upstream: a URL, a list of URLs, or a pool spec. */
export type UpstreamSpec = z.input<typeof upstreamSpecSchema>

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
  pick(
    targets: readonly UpstreamTarget[],
    eligible: (target: UpstreamTarget) => boolean,
    hashKey: string | undefined,
  ): UpstreamTarget | undefined
  /** Called when the target set changes (targets added or removed). */
  reset?(targets: readonly UpstreamTarget[]): void
}

/** One target as /_health, /_metrics and the admin API show it (plain JSON: null where nothing is known yet). */
export interface TargetSnapshot {
  index: number
  url: string
  weight: number
  healthy: boolean
  draining: boolean
  inFlight: number
  requests: number
  failures: number
  lastCheckAt: number | null
  lastCheckError: string | null
}
