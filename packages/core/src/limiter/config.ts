// The user-facing RateLimitConfig and Tier presets, validated and turned into LimitRule[].
import type { Context } from 'hono'
import '../context.js'
import type { z } from 'zod'
import { ConfigError } from '../errors.js'
import { parseOptions } from '../schema/parse.js'
import { RATE_LIMIT_WINDOWS, rateLimitSchema, type RateLimitConfig, type keyBySchema } from './schema.js'
import { RateLimitAlgorithm, type LimitRule } from './types.js'
import { incomingOf } from '../proxy/node-bindings.js'
import { requestHeader } from '../proxy/request-header.js'

/** Who shares a limit: the API key (else the client IP), the client IP, a request header's value, or your function. */
export type KeyBy = z.input<typeof keyBySchema>

export type { RateLimitConfig } from './schema.js'

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

/** @deprecated Every config error is a ConfigError; kept as an alias for code that names this one. */
export const RateLimitConfigError = ConfigError

/** The default caller identity: the API key's id when set, else the client IP (else the socket peer). */
export const callerKey = (c: Context): string => c.get('apiKey')?.id ?? clientIpOf(c)

const clientIpOf = (c: Context): string => {
  const ip = c.get('clientIp')
  if (ip) return ip
  // A plain Hono app on @hono/node-server has no clientIp variable: read the socket peer.
  return incomingOf(c)?.socket.remoteAddress ?? 'unknown'
}

const keyFunction = (keyBy: KeyBy | undefined): ((c: Context) => string) => {
  if (keyBy === undefined || keyBy === 'apiKey') return callerKey
  if (keyBy === 'ip') return clientIpOf
  if (typeof keyBy === 'function') return keyBy
  const header = keyBy.toLowerCase()
  // Requests without the header share the client IP's limit rather than one global bucket.
  return (c) => requestHeader(c, header) ?? clientIpOf(c)
}

/**
 * Validates a RateLimitConfig (from code, a config file or an API key record) and resolves it.
 * @param field the name used in error messages, e.g. `routes[2].rateLimit`.
 * @throws ConfigError naming the field and the expected form.
 * @example
 * resolveRateLimit({ requestsPerMinute: 60 }).rules // [{ algorithm: 'sliding_window', limit: 60, windowMs: 60000 }]
 */
export const resolveRateLimit = (config: unknown, field = 'rateLimit'): ResolvedRateLimit => {
  const input = parseOptions(rateLimitSchema, config, field)
  const algorithm = (input.algorithm ?? RateLimitAlgorithm.SLIDING_WINDOW) as RateLimitAlgorithm
  const rules: LimitRule[] = []
  for (const [name, windowMs] of RATE_LIMIT_WINDOWS) {
    const limit = input[name]
    if (limit === undefined) continue
    const rule: LimitRule = { algorithm, limit, windowMs }
    if (algorithm === RateLimitAlgorithm.TOKEN_BUCKET && input.burstSize !== undefined && rules.length === 0) rule.burst = input.burstSize
    rules.push(rule)
  }
  return Object.freeze({
    rules: Object.freeze(rules),
    cost: input.cost ?? 1,
    keyBy: keyFunction(input.keyBy),
    config: Object.freeze({ ...(config as RateLimitConfig) }),
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
