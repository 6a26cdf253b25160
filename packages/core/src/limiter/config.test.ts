import { describe, expect, it } from 'vitest'
import { RateLimitConfigError, TIER_LIMITS, TIER_RATE_LIMITS, Tier, parseTier, resolveRateLimit, toLimitRules } from './config.js'
import { RateLimitAlgorithm } from './types.js'

describe('RateLimitConfig', () => {
  it('turns every window given into a rule, sliding window by default', () => {
    expect(toLimitRules({ requestsPerMinute: 10, requestsPerHour: 100 })).toEqual([
      { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 10, windowMs: 60_000 },
      { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 100, windowMs: 3_600_000 },
    ])
    expect(resolveRateLimit({ requestsPerMinute: 10, requestsPerHour: 100, cost: 5 }).cost).toBe(5)
  })

  it('accepts the algorithm as enum or string; burstSize sizes the shortest bucket', () => {
    expect(toLimitRules({ requestsPerSecond: 5, requestsPerDay: 10_000, burstSize: 50, algorithm: 'token_bucket' })).toEqual([
      { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 5, windowMs: 1_000, burst: 50 },
      { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 10_000, windowMs: 86_400_000 },
    ])
    expect(toLimitRules({ requestsPerDay: 1, algorithm: RateLimitAlgorithm.FIXED_WINDOW })[0]!.algorithm).toBe('fixed_window')
  })

  it.each([
    [{}, /rateLimit needs at least one of requestsPerSecond/],
    [null, /rateLimit must be an object/],
    [{ requestsPerMinute: 0 }, /rateLimit.requestsPerMinute must be a positive integer, got 0/],
    [{ requestsPerMinute: 1.5 }, /requestsPerMinute must be a positive integer/],
    [{ requestsPerMinute: '60' }, /requestsPerMinute must be a positive integer, got "60"/],
    [
      { requestsPerMinute: 60, algorithm: 'leaky' },
      /rateLimit.algorithm must be one of 'sliding_window', 'token_bucket', 'fixed_window', got "leaky"/,
    ],
    [{ requestsPerMinute: 60, cost: -1 }, /rateLimit.cost must be a positive number/],
    [{ requestsPerMinute: 3, cost: 5 }, /rateLimit.cost \(5\) is larger than requestsPerMinute's capacity \(3\)/],
    [{ requestsPerMinute: 60, burstSize: 10 }, /rateLimit.burstSize applies to algorithm 'token_bucket' only/],
    [{ requestsPerMinute: 60, keyBy: 'bad header' }, /rateLimit.keyBy must be a header name such as "x-tenant-id", got "bad header"/],
    [{ requestsPerMinut: 60 }, /rateLimit.requestsPerMinut is not a known option \(did you mean requestsPerMinute\?\)/],
  ])('rejects %j naming the field', (config, message) => {
    expect(() => resolveRateLimit(config)).toThrow(RateLimitConfigError)
    expect(() => resolveRateLimit(config)).toThrow(message)
  })

  it('names the field it was given', () => {
    expect(() => resolveRateLimit({ requestsPerHour: -2 }, 'routes[0].rateLimit')).toThrow(/^routes\[0\]\.rateLimit\.requestsPerHour/)
  })

  it('tier presets are token buckets: FREE 1/10, BASIC 5/50, PREMIUM 20/200, ENTERPRISE 100/1000', () => {
    const presets = Object.values(Tier).map((tier) => TIER_RATE_LIMITS[tier].rules[0])
    expect(presets).toEqual([
      { algorithm: 'token_bucket', limit: 1, windowMs: 1_000, burst: 10 },
      { algorithm: 'token_bucket', limit: 5, windowMs: 1_000, burst: 50 },
      { algorithm: 'token_bucket', limit: 20, windowMs: 1_000, burst: 200 },
      { algorithm: 'token_bucket', limit: 100, windowMs: 1_000, burst: 1_000 },
    ])
    expect(TIER_LIMITS[Tier.FREE]).toMatchObject({ requestsPerSecond: 1, burstSize: 10 })
    expect(parseTier('premium')).toBe(Tier.PREMIUM)
    expect(parseTier('gold')).toBeUndefined()
  })
})
