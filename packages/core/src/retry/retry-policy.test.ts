import { describe, expect, it } from 'vitest'
import { backoffDelayMs, defaultRetryOptions, isIdempotent, methodRetryable } from './retry-policy.js'

describe('retry policy', () => {
  it('retries only idempotent methods unless the route opts in', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) expect(isIdempotent(m)).toBe(true)
    expect(methodRetryable('POST', defaultRetryOptions)).toBe(false)
    expect(methodRetryable('PATCH', defaultRetryOptions)).toBe(false)
    expect(methodRetryable('POST', { ...defaultRetryOptions, retryNonIdempotent: true })).toBe(true)
  })

  it('grows the delay exponentially, caps it, and spreads it by the jitter', () => {
    const options = { ...defaultRetryOptions, initialDelayMs: 100, multiplier: 2, jitter: 0, maxDelayMs: 350 }
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(options, n))).toEqual([100, 200, 350, 350])
    const jittered = { ...options, jitter: 0.2 }
    expect(backoffDelayMs(jittered, 1, () => 0)).toBe(80)
    expect(backoffDelayMs(jittered, 1, () => 1)).toBe(120)
    expect(backoffDelayMs(jittered, 2, () => 0.5)).toBe(200)
  })
})
