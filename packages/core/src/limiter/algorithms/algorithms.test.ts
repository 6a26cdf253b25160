import { describe, expect, it } from 'vitest'
import { RateLimitAlgorithm, type LimitRule } from '../types.js'
import { compose } from './compose.js'
import { fixedWindow } from './fixed-window.js'
import { slidingWindow } from './sliding-window.js'
import { tokenBucket } from './token-bucket.js'

// The algorithms are pure: time is an argument, so these tests need no timers at all.
describe('pure algorithms', () => {
  it('fixedWindow: state in, state out', () => {
    const rule: LimitRule = { algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 2, windowMs: 1_000 }
    const a = fixedWindow(undefined, rule, 1, 1_500)
    expect(a).toMatchObject({ allowed: true, remaining: 1, resetAt: 2_000, state: { start: 1_000, count: 1 } })
    const b = fixedWindow(a.state, rule, 2, 1_600)
    expect(b).toMatchObject({ allowed: false, remaining: 1, retryAfterMs: 400 })
    expect(fixedWindow(a.state, rule, 2, 2_000)).toMatchObject({ allowed: true, remaining: 0, state: { start: 2_000, count: 2 } })
  })

  it('slidingWindow: weighs the previous window by the share of it still inside the last windowMs', () => {
    const rule: LimitRule = { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 10, windowMs: 1_000 }
    const full = { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, start: 0, current: 10, previous: 0 } as const
    // At 1 300: previous 10 × 0.7 = 7 → 3 left.
    const at = slidingWindow(full, rule, 3, 1_300)
    expect(at).toMatchObject({ allowed: true, remaining: 0, state: { start: 1_000, current: 3, previous: 10 } })
    expect(slidingWindow(at.state, rule, 1, 1_300)).toMatchObject({ allowed: false, retryAfterMs: 100 })
    // Two windows later everything is forgotten.
    expect(slidingWindow(full, rule, 10, 2_000)).toMatchObject({ allowed: true, remaining: 0 })
  })

  it('tokenBucket: fractional refill, capped at burst', () => {
    const rule: LimitRule = { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 3, windowMs: 1_000, burst: 3 }
    const empty = { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, tokens: 0, updatedAt: 0 } as const
    expect(tokenBucket(empty, rule, 1, 200)).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 134 }) // 0.6 tokens
    const one = tokenBucket(empty, rule, 1, 334)
    expect(one.allowed).toBe(true)
    expect(one.state.tokens).toBeCloseTo(0.002, 9)
    expect(tokenBucket(empty, rule, 3, 60_000)).toMatchObject({ allowed: true, remaining: 0 })
  })

  it('compose: all or nothing, reporting the binding rule', () => {
    const a: LimitRule = { algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 5, windowMs: 1_000 }
    const b: LimitRule = { algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 1, windowMs: 60_000 }
    const first = compose(
      [
        { rule: a, state: undefined, cost: 1 },
        { rule: b, state: undefined, cost: 1 },
      ],
      0,
    )
    expect(first.decision).toMatchObject({ allowed: true, ruleIndex: 1, remaining: 0, limit: 1 })
    const states = first.outcomes.map((o) => o.state)
    const second = compose(
      [
        { rule: a, state: states[0], cost: 1 },
        { rule: b, state: states[1], cost: 1 },
      ],
      10,
    )
    expect(second.decision).toMatchObject({ allowed: false, ruleIndex: 1, retryAfterMs: 59_990 })
    expect(compose([], 0).decision).toMatchObject({ allowed: true, ruleIndex: -1 })
  })
})
