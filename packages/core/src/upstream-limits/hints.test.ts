import { describe, expect, it } from 'vitest'
import { parseDuration, parseRetryAfter, parseThrottleHints, resetToEpochMs } from './hints.js'

const NOW = Date.UTC(2026, 10, 23, 1, 0, 0) // 2026-11-23T01:00:00Z

describe('parseRetryAfter', () => {
  it('reads delta seconds', () => {
    expect(parseRetryAfter('2', NOW)).toBe(NOW + 2_000)
    expect(parseRetryAfter(' 0 ', NOW)).toBe(NOW)
    expect(parseRetryAfter('1.5', NOW)).toBe(NOW + 1_500)
  })
  it('reads an HTTP date, never before now', () => {
    expect(parseRetryAfter('Mon, 23 Nov 2026 01:00:30 GMT', NOW)).toBe(NOW + 30_000)
    expect(parseRetryAfter('Mon, 23 Nov 2026 00:59:00 GMT', NOW)).toBe(NOW)
  })
  it('ignores garbage and negatives', () => {
    expect(parseRetryAfter('soon', NOW)).toBeUndefined()
    expect(parseRetryAfter('-3', NOW)).toBeUndefined()
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined()
  })
})

describe('parseDuration (OpenAI)', () => {
  it.each([
    ['1s', 1_000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['2m', 120_000],
    ['3', 3_000],
  ])('%s → %d ms', (value, ms) => expect(parseDuration(value)).toBe(ms))
  it('rejects malformed durations', () => {
    expect(parseDuration('1x')).toBeUndefined()
    expect(parseDuration('s1')).toBeUndefined()
    expect(parseDuration('')).toBeUndefined()
  })
})

describe('resetToEpochMs', () => {
  it('detects delta seconds, epoch seconds and epoch ms', () => {
    expect(resetToEpochMs(30, NOW)).toBe(NOW + 30_000)
    expect(resetToEpochMs(NOW / 1000 + 60, NOW)).toBe(NOW + 60_000)
    expect(resetToEpochMs(NOW + 5_000, NOW)).toBe(NOW + 5_000)
  })
})

describe('parseThrottleHints', () => {
  it('Retry-After seconds on 429', () => {
    expect(parseThrottleHints(429, new Headers({ 'retry-after': '3' }), NOW)).toEqual({ resumeAt: NOW + 3_000 })
  })
  it('Retry-After as an HTTP date on 503', () => {
    expect(parseThrottleHints(503, { 'retry-after': 'Mon, 23 Nov 2026 01:01:00 GMT' }, NOW)).toEqual({ resumeAt: NOW + 60_000 })
  })
  it('ignores Retry-After on a non-throttling status', () => {
    expect(parseThrottleHints(200, { 'retry-after': '3' }, NOW)).toEqual({})
  })
  it('X-RateLimit-* with reset as epoch seconds (GitHub) and the resource', () => {
    const hints = parseThrottleHints(
      200,
      {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(NOW / 1000 + 3600),
        'x-ratelimit-resource': 'core',
      },
      NOW,
    )
    expect(hints).toEqual({ limit: 5000, remaining: 4999, resetAt: NOW + 3_600_000, resource: 'core' })
  })
  it('X-RateLimit-Reset as delta seconds', () => {
    expect(parseThrottleHints(200, { 'x-ratelimit-reset': '12' }, NOW).resetAt).toBe(NOW + 12_000)
  })
  it('Remaining 0 pauses proactively until the reset', () => {
    const hints = parseThrottleHints(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '7' }, NOW)
    expect(hints.resumeAt).toBe(NOW + 7_000)
  })
  it('a 429 with only a reset resumes at the reset', () => {
    expect(parseThrottleHints(429, { 'x-ratelimit-reset': '4' }, NOW).resumeAt).toBe(NOW + 4_000)
  })
  it('Retry-After wins over the reset', () => {
    const hints = parseThrottleHints(429, { 'retry-after': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '60' }, NOW)
    expect(hints.resumeAt).toBe(NOW + 1_000)
  })
  it('IETF current draft: structured RateLimit and RateLimit-Policy', () => {
    const hints = parseThrottleHints(
      200,
      { 'ratelimit-policy': '"burst";q=100;w=60, "daily";q=1000;w=86400', ratelimit: '"burst";r=40;t=20, "daily";r=700;t=3600' },
      NOW,
    )
    expect(hints).toEqual({ limit: 100, remaining: 40, resetAt: NOW + 20_000, windowMs: 60_000 })
  })
  it('IETF current draft: the policy closest to exhaustion binds', () => {
    const hints = parseThrottleHints(
      200,
      { 'ratelimit-policy': '"a";q=10;w=1, "b";q=50;w=60', ratelimit: '"a";r=9;t=1, "b";r=0;t=30' },
      NOW,
    )
    expect(hints).toMatchObject({ limit: 50, remaining: 0, resetAt: NOW + 30_000, windowMs: 60_000, resumeAt: NOW + 30_000 })
  })
  it('IETF older form: limit=, remaining=, reset=', () => {
    const hints = parseThrottleHints(200, { ratelimit: 'limit=100, remaining=0, reset=5', 'ratelimit-policy': '100;w=60' }, NOW)
    expect(hints).toEqual({ limit: 100, remaining: 0, resetAt: NOW + 5_000, resumeAt: NOW + 5_000, windowMs: 60_000 })
  })
  it('IETF draft-06 separate fields and RateLimit-Reset', () => {
    const hints = parseThrottleHints(200, { 'ratelimit-limit': '10', 'ratelimit-remaining': '3', 'ratelimit-reset': '2' }, NOW)
    expect(hints).toEqual({ limit: 10, remaining: 3, resetAt: NOW + 2_000 })
  })
  it('OpenAI x-ratelimit-*-requests with durations', () => {
    const hints = parseThrottleHints(
      429,
      { 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s' },
      NOW,
    )
    expect(hints).toEqual({ limit: 500, remaining: 0, resetAt: NOW + 360_000, resumeAt: NOW + 360_000 })
  })
  it('OpenAI sub-second reset', () => {
    expect(parseThrottleHints(200, { 'x-ratelimit-reset-requests': '20ms' }, NOW).resetAt).toBe(NOW + 20)
  })
  it('malformed values are ignored, not guessed', () => {
    expect(parseThrottleHints(429, { 'x-ratelimit-remaining': 'lots', 'x-ratelimit-reset': 'later', ratelimit: 'nonsense' }, NOW)).toEqual(
      {},
    )
  })
})
