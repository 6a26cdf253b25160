// Validation of registerRoute's options: defaults filled in, errors that name the field and the expected form.
import { defaultCircuitBreakerOptions, type CircuitBreakerOptions } from '../breaker/circuit-breaker.js'
import { defaultRetryOptions, type RetryOptions } from '../retry/retry-policy.js'
import type { ResolvedRouteOptions, RouteOptions } from './route.js'

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'])

export class ConfigError extends TypeError {
  override name = 'ConfigError'
}

/** A value as a config error shows it: JSON when possible. */
export const describeValue = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** A plain object (not null, not an array). */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Throws a ConfigError naming `field` unless `value` is a number in [min, max] (an integer when asked). */
export const checkNumber = (
  field: string,
  value: unknown,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = false }: { min?: number; max?: number; integer?: boolean } = {},
): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number'
    throw new ConfigError(`${field} must be ${kind} from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
  return value
}

const optional = <T>(value: T | undefined, fallback: T, check: (v: unknown) => T): T => (value === undefined ? fallback : check(value))

export const resolveRetry = (field: string, retry: Partial<RetryOptions> | undefined): RetryOptions => {
  if (retry !== undefined && (typeof retry !== 'object' || retry === null)) throw new ConfigError(`${field} must be an object`)
  const r = retry ?? {}
  const d = defaultRetryOptions
  return {
    attempts: optional(r.attempts, d.attempts, (v) => checkNumber(`${field}.attempts`, v, { min: 1, max: 10, integer: true })),
    initialDelayMs: optional(r.initialDelayMs, d.initialDelayMs, (v) => checkNumber(`${field}.initialDelayMs`, v, { max: 60_000 })),
    multiplier: optional(r.multiplier, d.multiplier, (v) => checkNumber(`${field}.multiplier`, v, { min: 1, max: 10 })),
    jitter: optional(r.jitter, d.jitter, (v) => checkNumber(`${field}.jitter`, v, { max: 1 })),
    maxDelayMs: optional(r.maxDelayMs, d.maxDelayMs, (v) => checkNumber(`${field}.maxDelayMs`, v, { max: 600_000 })),
    retryOnStatus: optional(r.retryOnStatus, d.retryOnStatus, (v) => {
      if (!Array.isArray(v)) throw new ConfigError(`${field}.retryOnStatus must be an array of 5xx status codes`)
      return v.map((s, i) => checkNumber(`${field}.retryOnStatus[${i}]`, s, { min: 500, max: 599, integer: true }))
    }),
    retryNonIdempotent: optional(r.retryNonIdempotent, d.retryNonIdempotent, (v) => {
      if (typeof v !== 'boolean') throw new ConfigError(`${field}.retryNonIdempotent must be true or false`)
      return v
    }),
  }
}

export const resolveCircuitBreaker = (field: string, cb: Partial<CircuitBreakerOptions> | undefined): CircuitBreakerOptions => {
  if (cb !== undefined && (typeof cb !== 'object' || cb === null)) throw new ConfigError(`${field} must be an object`)
  const o = cb ?? {}
  const d = defaultCircuitBreakerOptions
  const int = (name: keyof CircuitBreakerOptions, min: number, max: number) =>
    optional(o[name], d[name], (v) => checkNumber(`${field}.${name}`, v, { min, max, integer: true }))
  return {
    failureThreshold: int('failureThreshold', 1, 10_000),
    recoveryTimeoutMs: int('recoveryTimeoutMs', 1, 86_400_000),
    successThreshold: int('successThreshold', 1, 10_000),
    halfOpenMaxProbes: int('halfOpenMaxProbes', 1, 1_000),
  }
}

/** Defaults and validation for the core's own route options (capabilities validate their own fields). */
export const resolveRouteOptions = (options: RouteOptions): ResolvedRouteOptions => {
  if (typeof options !== 'object' || options === null) throw new ConfigError('registerRoute: options must be an object')
  let methods: string[] | undefined
  if (options.methods !== undefined) {
    if (!Array.isArray(options.methods) || options.methods.length === 0) {
      throw new ConfigError('options.methods must be a non-empty array of HTTP methods such as ["GET", "POST"]')
    }
    methods = options.methods.map((m, i) => {
      const upper = typeof m === 'string' ? m.toUpperCase() : ''
      if (!METHODS.has(upper))
        throw new ConfigError(`options.methods[${i}] must be one of ${[...METHODS].join(', ')}, got ${JSON.stringify(m)}`)
      return upper
    })
    // HEAD is served wherever GET is, as HTTP expects.
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD')
  }
  const bool = (name: 'stripPrefix' | 'preserveHost') => {
    const v = options[name]
    if (v !== undefined && typeof v !== 'boolean') throw new ConfigError(`options.${name} must be true or false, got ${JSON.stringify(v)}`)
    return v ?? false
  }
  return {
    methods,
    timeoutMs: optional(options.timeoutMs, 30_000, (v) => checkNumber('options.timeoutMs', v, { min: 1, max: 3_600_000 })),
    totalTimeoutMs: optional<number | undefined>(options.totalTimeoutMs, undefined, (v) =>
      checkNumber('options.totalTimeoutMs', v, { min: 1, max: 3_600_000 }),
    ),
    retry: resolveRetry('options.retry', options.retry),
    circuitBreaker: resolveCircuitBreaker('options.circuitBreaker', options.circuitBreaker),
    stripPrefix: bool('stripPrefix'),
    preserveHost: bool('preserveHost'),
    maxBodyBytes: optional(options.maxBodyBytes, 10 * 1024 * 1024, (v) =>
      checkNumber('options.maxBodyBytes', v, { min: 0, max: 2 ** 40, integer: true }),
    ),
  }
}
