// Validation of what registerRoute accepts as an upstream: errors name the offending field, defaults filled in.
import { describeValue, isPlainObject } from '../routing/resolve-options.js'
import type {
  BalanceStrategy,
  HealthCheckOptions,
  PoolSpec,
  ResolvedHealthCheckOptions,
  TargetSpec,
  UpstreamSpec,
  UpstreamTarget,
} from './types.js'

export const BALANCE_STRATEGIES: readonly BalanceStrategy[] = ['round-robin', 'least-connections', 'random', 'hash']

export const HEALTH_CHECK_DEFAULTS = {
  intervalMs: 5_000,
  timeoutMs: 1_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
} as const satisfies Omit<ResolvedHealthCheckOptions, 'path'>

const MAX_WEIGHT = 1000
// RFC 9110 token: what a header name may contain.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Turns the `upstream` argument of registerRoute into a pool spec (shape only; the pool validates fields). */
export const toPoolSpec = (upstream: UpstreamSpec): PoolSpec => {
  if (typeof upstream === 'string') return { targets: [upstream] }
  if (Array.isArray(upstream)) return { targets: upstream }
  if (isPlainObject(upstream) && Array.isArray(upstream.targets)) return upstream
  throw new TypeError(`upstream must be a URL string, an array of URL strings, or { targets: [...] }, got ${describeValue(upstream)}`)
}

/** Parses one target spec; `field` names it in errors (`upstream.targets[1]`). */
export const parseTarget = (spec: string | TargetSpec, index: number, field: string): UpstreamTarget => {
  if (typeof spec !== 'string' && !isPlainObject(spec)) {
    throw new TypeError(`${field} must be a URL string or { url, weight? }, got ${describeValue(spec)}`)
  }
  const urlField = typeof spec === 'string' ? field : `${field}.url`
  const raw: unknown = typeof spec === 'string' ? spec : spec.url
  let url: URL
  try {
    if (typeof raw !== 'string') throw new TypeError('not a string')
    url = new URL(raw)
  } catch {
    throw new TypeError(`${urlField} must be an absolute http(s) URL such as "http://127.0.0.1:8001", got ${describeValue(raw)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${urlField} must use http: or https:, got "${url.protocol}"`)
  }
  if (url.search || url.hash) throw new TypeError(`${urlField} must not carry a query or fragment, got "${raw}"`)
  if (url.username || url.password) throw new TypeError(`${urlField} must not carry credentials`)
  const weight = typeof spec === 'string' || spec.weight === undefined ? 1 : spec.weight
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
    throw new TypeError(`${field}.weight must be an integer from 1 to ${MAX_WEIGHT}, got ${describeValue(weight)}`)
  }
  return {
    index,
    url,
    origin: url.origin,
    basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, ''),
    weight,
    healthy: true,
    draining: false,
    inFlight: 0,
    requests: 0,
    failures: 0,
    lastCheckAt: undefined,
    lastCheckError: undefined,
  }
}

/** Parses every target and rejects duplicates (the breaker and the hash ring key on the URL). */
export const parseTargets = (targets: ReadonlyArray<string | TargetSpec>, field = 'upstream.targets'): UpstreamTarget[] => {
  if (targets.length === 0) throw new TypeError(`${field} must list at least one target`)
  if (targets.length > 65_535) throw new TypeError(`${field} must list at most 65535 targets`)
  const parsed = targets.map((spec, i) => parseTarget(spec, i, `${field}[${i}]`))
  const seen = new Map<string, number>()
  for (const target of parsed) {
    const key = target.origin + target.basePath
    const first = seen.get(key)
    if (first !== undefined) {
      throw new TypeError(`${field}[${target.index}] duplicates ${field}[${first}] (${key}); use weight to give a target more traffic`)
    }
    seen.set(key, target.index)
  }
  return parsed
}

export const parseBalance = (balance: unknown, field = 'upstream.balance'): BalanceStrategy => {
  if (balance === undefined) return 'round-robin'
  if (!BALANCE_STRATEGIES.includes(balance as BalanceStrategy)) {
    throw new TypeError(`${field} must be one of ${BALANCE_STRATEGIES.map((s) => `'${s}'`).join(', ')}, got ${describeValue(balance)}`)
  }
  return balance as BalanceStrategy
}

/** The header name `hash` balancing reads, lower-cased; undefined means the client IP. */
export const parseHashOn = (hashOn: unknown, field = 'upstream.hashOn'): string | undefined => {
  if (hashOn === undefined) return undefined
  if (typeof hashOn !== 'string' || !HEADER_NAME.test(hashOn)) {
    throw new TypeError(`${field} must be a header name such as "x-user-id", got ${describeValue(hashOn)}`)
  }
  return hashOn.toLowerCase()
}

const HEALTH_CHECK_KEYS = new Set(['path', 'intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold'])

const positiveInteger = (value: unknown, field: string, min: number, max: number): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${field} must be an integer from ${min} to ${max}, got ${describeValue(value)}`)
  }
  return value
}

/** Validates `healthCheck` and fills its defaults; undefined when the pool has no active checks. */
export const resolveHealthCheck = (
  healthCheck: HealthCheckOptions | undefined,
  field = 'upstream.healthCheck',
): ResolvedHealthCheckOptions | undefined => {
  if (healthCheck === undefined) return undefined
  if (!isPlainObject(healthCheck))
    throw new TypeError(`${field} must be an object such as { path: '/health' }, got ${describeValue(healthCheck)}`)
  for (const key of Object.keys(healthCheck)) {
    if (!HEALTH_CHECK_KEYS.has(key)) {
      throw new TypeError(`${field}.${key} is not an option; expected one of ${[...HEALTH_CHECK_KEYS].join(', ')}`)
    }
  }
  const { path } = healthCheck
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || /[\s#]/.test(path)) {
    throw new TypeError(`${field}.path must be a path starting with "/", such as "/health", got ${describeValue(path)}`)
  }
  const pick = <K extends keyof typeof HEALTH_CHECK_DEFAULTS>(key: K, min: number, max: number): number =>
    healthCheck[key] === undefined ? HEALTH_CHECK_DEFAULTS[key] : positiveInteger(healthCheck[key], `${field}.${key}`, min, max)
  const resolved: ResolvedHealthCheckOptions = {
    path,
    intervalMs: pick('intervalMs', 10, 3_600_000),
    timeoutMs: pick('timeoutMs', 1, 600_000),
    healthyThreshold: pick('healthyThreshold', 1, 1000),
    unhealthyThreshold: pick('unhealthyThreshold', 1, 1000),
  }
  return resolved
}
