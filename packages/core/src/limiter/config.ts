// The user-facing RateLimitConfig and Tier presets, validated and turned into LimitRule[].
import type { Context } from 'hono'
import '../context.js'
import { RateLimitAlgorithm, type LimitRule } from './types.js'
import { incomingOf } from '../proxy/node-bindings.js'
import { requestHeader } from '../proxy/request-header.js'

/** Who shares a limit: the API key (else the client IP), the client IP, a request header's value, or your function. */
export type KeyBy = 'apiKey' | 'ip' | (string & {}) | ((c: Context) => string)

/**
 * A rate limit as users write it. Every window given must pass; all share `algorithm` and `cost`.
 * @example
 * { requestsPerMinute: 10, requestsPerHour: 100, cost: 5 }
 * { requestsPerSecond: 5, burstSize: 50, algorithm: 'token_bucket', keyBy: 'x-tenant-id' }
 */
export interface RateLimitConfig {
  requestsPerSecond?: number
  requestsPerMinute?: number
  requestsPerHour?: number
  requestsPerDay?: number
  /** Token bucket capacity of the shortest window (longer windows hold their own limit). Token bucket only. */
  burstSize?: number
  /** Default `RateLimitAlgorithm.SLIDING_WINDOW`; the string values are accepted too. */
  algorithm?: RateLimitAlgorithm | `${RateLimitAlgorithm}`
  /** Units one request takes (expensive endpoints take more). Default 1. */
  cost?: number
  /** Default `'apiKey'`: the API key's id when the request has one, else the client IP. */
  keyBy?: KeyBy
}

/** Caller tiers; their presets are token buckets (tokens per second / bucket size). */
export enum Tier {
  FREE = 'free',
  BASIC = 'basic',
  PREMIUM = 'premium',
  ENTERPRISE = 'enterprise',
}

/** FREE 1/s bucket 10, BASIC 5/50, PREMIUM 20/200, ENTERPRISE 100/1000. */
export const TIER_LIMITS: Readonly<Record<Tier, Readonly<RateLimitConfig>>> = Object.freeze({
  [Tier.FREE]: { requestsPerSecond: 1, burstSize: 10, algorithm: RateLimitAlgorithm.TOKEN_BUCKET },
  [Tier.BASIC]: { requestsPerSecond: 5, burstSize: 50, algorithm: RateLimitAlgorithm.TOKEN_BUCKET },
  [Tier.PREMIUM]: { requestsPerSecond: 20, burstSize: 200, algorithm: RateLimitAlgorithm.TOKEN_BUCKET },
  [Tier.ENTERPRISE]: { requestsPerSecond: 100, burstSize: 1000, algorithm: RateLimitAlgorithm.TOKEN_BUCKET },
})

/** A tier by its enum or string value (`'free'`, …), or undefined. */
export const parseTier = (value: unknown): Tier | undefined =>
  typeof value === 'string' && (Object.values(Tier) as string[]).includes(value) ? (value as Tier) : undefined

/** A validated RateLimitConfig, ready for the stores. */
export interface ResolvedRateLimit {
  readonly rules: readonly LimitRule[]
  readonly cost: number
  readonly keyBy: (c: Context) => string
  readonly config: Readonly<RateLimitConfig>
}

/** Thrown for an invalid RateLimitConfig; the message names the field and the expected form. */
export class RateLimitConfigError extends TypeError {
  override readonly name = 'RateLimitConfigError'
}

const WINDOWS = [
  ['requestsPerSecond', 1_000],
  ['requestsPerMinute', 60_000],
  ['requestsPerHour', 3_600_000],
  ['requestsPerDay', 86_400_000],
] as const

const KNOWN = new Set([
  'requestsPerSecond',
  'requestsPerMinute',
  'requestsPerHour',
  'requestsPerDay',
  'burstSize',
  'algorithm',
  'cost',
  'keyBy',
])
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const ALGORITHMS = Object.values(RateLimitAlgorithm) as string[]

const fail = (field: string, expected: string, got: unknown): never => {
  throw new RateLimitConfigError(`${field} must be ${expected}, got ${typeof got === 'function' ? 'a function' : JSON.stringify(got)}`)
}

/** The default caller identity: the API key's id when set, else the client IP (else the socket peer). */
export const callerKey = (c: Context): string => c.get('apiKey')?.id ?? clientIpOf(c)

const clientIpOf = (c: Context): string => {
  const ip = c.get('clientIp')
  if (ip) return ip
  // A plain Hono app on @hono/node-server has no clientIp variable: read the socket peer.
  return incomingOf(c)?.socket.remoteAddress ?? 'unknown'
}

const keyFunction = (keyBy: KeyBy | undefined, field: string): ((c: Context) => string) => {
  if (keyBy === undefined || keyBy === 'apiKey') return callerKey
  if (keyBy === 'ip') return clientIpOf
  if (typeof keyBy === 'function') return keyBy
  if (typeof keyBy !== 'string' || !HEADER_NAME.test(keyBy)) {
    return fail(field, "'apiKey', 'ip', a header name or a function (c) => string", keyBy)
  }
  const header = keyBy.toLowerCase()
  // Requests without the header share the client IP's limit rather than one global bucket.
  return (c) => requestHeader(c, header) ?? clientIpOf(c)
}

/**
 * Validates a RateLimitConfig (from code, a config file or an API key record) and resolves it.
 * @param field the name used in error messages, e.g. `routes[2].rateLimit`.
 * @example
 * resolveRateLimit({ requestsPerMinute: 60 }).rules // [{ algorithm: 'sliding_window', limit: 60, windowMs: 60000 }]
 */
export const resolveRateLimit = (config: unknown, field = 'rateLimit'): ResolvedRateLimit => {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return fail(field, 'an object like { requestsPerMinute: 60 }', config)
  }
  const input = config as Record<string, unknown>
  for (const name of Object.keys(input)) {
    if (!KNOWN.has(name) && input[name] !== undefined) {
      throw new RateLimitConfigError(`${field}.${name} is not a rate limit option (expected one of ${[...KNOWN].join(', ')})`)
    }
  }
  const algorithm = (input.algorithm ?? RateLimitAlgorithm.SLIDING_WINDOW) as RateLimitAlgorithm
  if (!ALGORITHMS.includes(algorithm)) fail(`${field}.algorithm`, `one of ${ALGORITHMS.map((a) => `'${a}'`).join(', ')}`, input.algorithm)
  const cost = input.cost ?? 1
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost <= 0) fail(`${field}.cost`, 'a positive number', input.cost)
  const burst = input.burstSize
  if (burst !== undefined) {
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) fail(`${field}.burstSize`, 'a positive integer', burst)
    if (algorithm !== RateLimitAlgorithm.TOKEN_BUCKET) {
      throw new RateLimitConfigError(`${field}.burstSize applies to algorithm 'token_bucket' only (algorithm is '${algorithm}')`)
    }
  }
  const rules: LimitRule[] = []
  for (const [name, windowMs] of WINDOWS) {
    const limit = input[name]
    if (limit === undefined) continue
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) fail(`${field}.${name}`, 'a positive integer', limit)
    const rule: LimitRule = { algorithm, limit: limit as number, windowMs }
    if (algorithm === RateLimitAlgorithm.TOKEN_BUCKET && burst !== undefined && rules.length === 0) rule.burst = burst as number
    rules.push(rule)
  }
  if (rules.length === 0) {
    throw new RateLimitConfigError(`${field} needs at least one of ${WINDOWS.map(([n]) => n).join(', ')}`)
  }
  for (const rule of rules) {
    const capacity = rule.burst ?? rule.limit
    if ((cost as number) > capacity) {
      throw new RateLimitConfigError(
        `${field}.cost (${String(cost)}) is larger than a window's capacity (${capacity}): no request could pass`,
      )
    }
  }
  return Object.freeze({
    rules: Object.freeze(rules),
    cost: cost as number,
    keyBy: keyFunction(input.keyBy as KeyBy | undefined, `${field}.keyBy`),
    config: Object.freeze({ ...(input as RateLimitConfig) }),
  })
}

/** The LimitRule[] of a config (validated). */
export const toLimitRules = (config: RateLimitConfig, field?: string): readonly LimitRule[] => resolveRateLimit(config, field).rules

/** The resolved preset of each tier. */
export const TIER_RATE_LIMITS: Readonly<Record<Tier, ResolvedRateLimit>> = Object.freeze({
  [Tier.FREE]: resolveRateLimit(TIER_LIMITS[Tier.FREE], 'Tier.FREE'),
  [Tier.BASIC]: resolveRateLimit(TIER_LIMITS[Tier.BASIC], 'Tier.BASIC'),
  [Tier.PREMIUM]: resolveRateLimit(TIER_LIMITS[Tier.PREMIUM], 'Tier.PREMIUM'),
  [Tier.ENTERPRISE]: resolveRateLimit(TIER_LIMITS[Tier.ENTERPRISE], 'Tier.ENTERPRISE'),
})
