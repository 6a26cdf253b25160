// The one test suite every RateLimitStore runs (memory with fake time, Redis with real short windows).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RateLimitAlgorithm, type LimitRule, type RateLimitStore } from '../types.js'

export interface StoreHarness {
  store: RateLimitStore
  /** Moves time forward by `ms` (fake clock tick, or a real sleep). */
  advance(ms: number): Promise<void>
  /** Moves time to the next multiple of `windowMs` (exact), or just after it (real time). */
  align(windowMs: number): Promise<void>
  /** True when time is exact (fake): the suite then also asserts exact waits. */
  exact: boolean
  /** Base window for time-driven cases, in ms (short for real time, but long enough for a loaded machine). */
  windowMs: number
  close(): Promise<void>
}

const HOUR = 3_600_000
const { FIXED_WINDOW: FIXED, SLIDING_WINDOW: SLIDING, TOKEN_BUCKET: BUCKET } = RateLimitAlgorithm
let counter = 0

/**
 * Runs the shared store cases against `makeHarness()` (called before each test).
 * @example
 * describeStore('MemoryStore', () => memoryHarness())
 */
export const describeStore = (name: string, makeHarness: () => Promise<StoreHarness> | StoreHarness): void => {
  describe(`${name} (shared store suite)`, () => {
    let h: StoreHarness
    let key: string
    beforeEach(async () => {
      h = await makeHarness()
      key = `suite-${process.pid}-${Date.now()}-${++counter}`
    })
    afterEach(async () => {
      await h.close()
    })

    it('fixed window: admits the limit, rejects past it until the window edge', async () => {
      const W = h.windowMs
      const rules: LimitRule[] = [{ algorithm: FIXED, limit: 3, windowMs: W }]
      await h.align(W)
      const seen = []
      for (let i = 0; i < 3; i++) seen.push(await h.store.consume(key, rules, 1))
      expect(seen.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
      ])
      const denied = await h.store.consume(key, rules, 1)
      expect(denied).toMatchObject({ allowed: false, remaining: 0, limit: 3, ruleIndex: 0 })
      expect(denied.resetAt % W).toBe(0)
      expect(denied.retryAfterMs).toBeGreaterThan(0)
      expect(denied.retryAfterMs).toBeLessThanOrEqual(W)
      if (h.exact) {
        expect(denied.retryAfterMs).toBe(W)
        await h.advance(W - 1) // last ms of the window
        expect((await h.store.consume(key, rules, 1)).allowed).toBe(false)
        await h.advance(1) // the edge
        expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: true, remaining: 2 })
      } else {
        await h.advance(denied.retryAfterMs + 20)
        expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: true, remaining: 2 })
      }
    })

    it('sliding window: the previous window fades out by the weighted-counter rule', async () => {
      const W = h.windowMs
      const rules: LimitRule[] = [{ algorithm: SLIDING, limit: 4, windowMs: W }]
      await h.align(W)
      for (let i = 0; i < 4; i++) expect((await h.store.consume(key, rules, 1)).allowed).toBe(true)
      expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: false, remaining: 0, limit: 4 })
      await h.align(W) // next window: previous = 4 still counts almost fully
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(false)
      await h.advance(W / 2) // half-way: 4 × ½ = 2 → two more pass, the third does not
      expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: true, remaining: 1 })
      expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: true, remaining: 0 })
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(false)
    })

    it('sliding window: retryAfterMs is the exact wait', async () => {
      const W = h.windowMs
      const rules: LimitRule[] = [{ algorithm: SLIDING, limit: 4, windowMs: W }]
      await h.align(W)
      for (let i = 0; i < 4; i++) await h.store.consume(key, rules, 1)
      const denied = await h.store.consume(key, rules, 1)
      // Next window at elapsed e: 4·(W−e)/W + 1 ≤ 4 ⇔ e ≥ W/4, so 1.25 W after the window began.
      expect(denied.retryAfterMs).toBeLessThanOrEqual(W + W / 4)
      expect(denied.retryAfterMs).toBeGreaterThan(W)
      if (!h.exact) return
      expect(denied.retryAfterMs).toBe(W + W / 4)
      await h.advance(W + W / 4 - 1)
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(false)
      await h.advance(1)
      expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: true, remaining: 0 })
    })

    it('token bucket: a burst, then refill to the cap', async () => {
      const W = h.windowMs
      const rules: LimitRule[] = [{ algorithm: BUCKET, limit: 10, windowMs: W, burst: 5 }]
      for (let i = 0; i < 5; i++) expect((await h.store.consume(key, rules, 1)).remaining).toBe(4 - i)
      const denied = await h.store.consume(key, rules, 1)
      expect(denied).toMatchObject({ allowed: false, limit: 5, remaining: 0 })
      expect(denied.retryAfterMs).toBeGreaterThan(0)
      expect(denied.retryAfterMs).toBeLessThanOrEqual(W / 10)
      if (h.exact) expect(denied).toMatchObject({ retryAfterMs: W / 10, resetAt: W / 2 })
      await h.advance(W) // far more than needed: the cap holds it at 5
      let admitted = 0
      for (let i = 0; i < 6; i++) if ((await h.store.consume(key, rules, 1)).allowed) admitted++
      expect(admitted).toBe(5)
    })

    it('token bucket: fractional refill', async () => {
      const W = h.windowMs
      const rules: LimitRule[] = [{ algorithm: BUCKET, limit: 1, windowMs: W, burst: 2 }]
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(true)
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(true)
      await h.advance(W / 2)
      const half = await h.store.consume(key, rules, 1) // 0.5 tokens
      expect(half.allowed).toBe(false)
      expect(half.retryAfterMs).toBeLessThanOrEqual(W / 2)
      if (h.exact) expect(half.retryAfterMs).toBe(W / 2)
      await h.advance(W / 4) // 0.75 tokens
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(false)
      await h.advance(W / 4 + (h.exact ? 0 : 50)) // 1 token
      expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: true, remaining: 0 })
    })

    it('cost > 1 takes several units', async () => {
      const fixed: LimitRule[] = [{ algorithm: FIXED, limit: 10, windowMs: HOUR }]
      expect(await h.store.consume(key, fixed, 4)).toMatchObject({ allowed: true, remaining: 6 })
      expect(await h.store.consume(key, fixed, 4)).toMatchObject({ allowed: true, remaining: 2 })
      expect(await h.store.consume(key, fixed, 4)).toMatchObject({ allowed: false, remaining: 2 })
      expect(await h.store.consume(key, fixed, 2)).toMatchObject({ allowed: true, remaining: 0 })
      const bucket: LimitRule[] = [{ algorithm: BUCKET, limit: 1, windowMs: 1_000, burst: 5 }]
      expect(await h.store.consume(`${key}:b`, bucket, 3)).toMatchObject({ allowed: true, remaining: 2 })
      const denied = await h.store.consume(`${key}:b`, bucket, 3)
      expect(denied.allowed).toBe(false)
      expect(denied.retryAfterMs).toBeGreaterThan(800) // needs ~1 more token at 1/s
      expect(denied.retryAfterMs).toBeLessThanOrEqual(1_000)
      const sliding: LimitRule[] = [{ algorithm: SLIDING, limit: 10, windowMs: HOUR }]
      expect(await h.store.consume(`${key}:s`, sliding, 7)).toMatchObject({ allowed: true, remaining: 3 })
      expect((await h.store.consume(`${key}:s`, sliding, 7)).allowed).toBe(false)
    })

    for (const algorithm of [FIXED, SLIDING, BUCKET]) {
      it(`${algorithm}: when the second window rejects, the first is not consumed`, async () => {
        const first: LimitRule = { algorithm, limit: 5, windowMs: HOUR }
        const second: LimitRule = { algorithm, limit: 2, windowMs: HOUR / 2 }
        expect((await h.store.consume(key, [first, second], 1)).allowed).toBe(true)
        expect(await h.store.consume(key, [first, second], 1)).toMatchObject({ allowed: true, remaining: 0, ruleIndex: 1 })
        for (let i = 0; i < 3; i++) {
          expect(await h.store.consume(key, [first, second], 1)).toMatchObject({ allowed: false, ruleIndex: 1, limit: 2 })
        }
        // Only the two admitted requests were taken from the first window.
        expect(await h.store.consume(key, [first], 1)).toMatchObject({ allowed: true, remaining: 2, ruleIndex: 0 })
      })
    }

    it('reports the rule closest to exhaustion', async () => {
      const rules: LimitRule[] = [
        { algorithm: FIXED, limit: 100, windowMs: HOUR },
        { algorithm: FIXED, limit: 3, windowMs: HOUR },
      ]
      expect(await h.store.consume(key, rules, 1)).toMatchObject({ allowed: true, limit: 3, remaining: 2, ruleIndex: 1, windowMs: HOUR })
    })

    it('consumeMany: all keys or none, in one decision', async () => {
      const wide: LimitRule[] = [{ algorithm: FIXED, limit: 5, windowMs: HOUR }]
      const narrow: LimitRule[] = [{ algorithm: SLIDING, limit: 1, windowMs: HOUR }]
      const entries = [
        { key: `${key}:a`, scope: 'route:x', rules: wide, cost: 1 },
        { key: `${key}:b`, rules: narrow, cost: 1 },
      ]
      expect(await h.store.consumeMany!(entries)).toMatchObject({ allowed: true, remaining: 0, ruleIndex: 1 })
      expect(await h.store.consumeMany!(entries)).toMatchObject({ allowed: false, ruleIndex: 1 })
      expect(await h.store.consume(`${key}:a`, wide, 1)).toMatchObject({ allowed: true, remaining: 4 }) // unscoped: separate
      expect(await h.store.consumeMany!([entries[0]!])).toMatchObject({ allowed: true, remaining: 3 })
    })

    it('reset forgets a key in every scope', async () => {
      const rules: LimitRule[] = [{ algorithm: FIXED, limit: 1, windowMs: HOUR }]
      await h.store.consume(key, rules, 1)
      await h.store.consumeMany!([{ key, scope: 'route:y', rules, cost: 1 }])
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(false)
      await h.store.reset(key)
      expect((await h.store.consume(key, rules, 1)).allowed).toBe(true)
      expect((await h.store.consumeMany!([{ key, scope: 'route:y', rules, cost: 1 }])).allowed).toBe(true)
    })
  })
}
