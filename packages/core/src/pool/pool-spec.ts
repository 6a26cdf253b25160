// What registerRoute accepts as an upstream, turned into targets: validated by pool/schema.ts, defaults filled in.
import { ConfigError } from '../errors.js'
import { parseOptions } from '../schema/parse.js'
import { upstreamSpecSchema } from './schema.js'
import type {
  BalanceStrategy,
  HealthCheckOptions,
  PoolSpec,
  ResolvedHealthCheckOptions,
  TargetSpec,
  UpstreamSpec,
  UpstreamTarget,
} from './types.js'

export { BALANCE_STRATEGIES } from './schema.js'

export const HEALTH_CHECK_DEFAULTS = {
  intervalMs: 5_000,
  timeoutMs: 1_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
} as const satisfies Omit<ResolvedHealthCheckOptions, 'path'>

/**
 * Validates the `upstream` argument of registerRoute and turns it into a pool spec.
 * @throws ConfigError naming the field (`upstream.targets[1].weight`).
 */
export const toPoolSpec = (upstream: UpstreamSpec, field = 'upstream'): PoolSpec => {
  const parsed = parseOptions(upstreamSpecSchema, upstream, field)
  if (typeof parsed === 'string') return { targets: [parsed] }
  if (Array.isArray(parsed)) return { targets: parsed }
  return parsed
}

/** One validated target spec as a live target. */
export const toTarget = (spec: string | TargetSpec, index: number): UpstreamTarget => {
  const url = new URL(typeof spec === 'string' ? spec : spec.url)
  return {
    index,
    url,
    origin: url.origin,
    basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, ''),
    weight: typeof spec === 'string' ? 1 : (spec.weight ?? 1),
    healthy: true,
    draining: false,
    inFlight: 0,
    requests: 0,
    failures: 0,
    lastCheckAt: undefined,
    lastCheckError: undefined,
  }
}

/** Validated target specs as live targets; duplicates are refused (the breaker and the hash ring key on the URL). */
export const parseTargets = (targets: ReadonlyArray<string | TargetSpec>, field = 'upstream.targets'): UpstreamTarget[] => {
  const parsed = targets.map(toTarget)
  const seen = new Map<string, number>()
  for (const target of parsed) {
    const key = target.origin + target.basePath
    const first = seen.get(key)
    if (first !== undefined) {
      throw new ConfigError(`${field}[${target.index}] duplicates ${field}[${first}] (${key}); use weight to give a target more traffic`, {
        path: `${field}[${target.index}]`,
      })
    }
    seen.set(key, target.index)
  }
  return parsed
}

/** The header name `hash` balancing reads, lower-cased; undefined means the client IP. */
export const parseHashOn = (hashOn: string | undefined): string | undefined => hashOn?.toLowerCase()

/** The balance strategy, default round-robin. */
export const parseBalance = (balance: BalanceStrategy | undefined): BalanceStrategy => balance ?? 'round-robin'

/** Fills `healthCheck` defaults; undefined when the pool has no active checks. */
export const resolveHealthCheck = (healthCheck: HealthCheckOptions | undefined): ResolvedHealthCheckOptions | undefined =>
  healthCheck && { ...HEALTH_CHECK_DEFAULTS, ...healthCheck }
