import FakeTimers from '@sinonjs/fake-timers'
import { describe, expect, it } from 'vitest'
import { RateLimitAlgorithm } from '../types.js'
import { describeStore } from './describe-store.js'
import { MemoryStore } from './memory-store.js'

/** A sinon fake clock, seen through the Clock interface. */
const fakeClock = (start: number) => {
  const fake = FakeTimers.createClock(start)
  return {
    now: () => fake.now,
    tick: (ms: number) => fake.tick(ms),
    get time() {
      return fake.now
    },
  }
}

describeStore('MemoryStore', () => {
  const clock = fakeClock(0)
  const store = new MemoryStore({ clock })
  return {
    store,
    exact: true,
    windowMs: 1_000,
    advance: async (ms) => void clock.tick(ms),
    align: async (w) => void clock.tick(w - (clock.time % w)),
    close: () => store.close(),
  }
})

describe('MemoryStore bounds', () => {
  it('defaults to 100 000 keys', () => {
    expect(new MemoryStore().maxKeys).toBe(100_000)
  })

  it('a million distinct keys stay within maxKeys', () => {
    const clock = fakeClock(1_700_000_000_000)
    const store = new MemoryStore({ clock, maxKeys: 20_000, purgeIntervalMs: 0 })
    const rules = [{ algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 10, windowMs: 60_000 }]
    let largest = 0
    for (let i = 0; i < 1_000_000; i++) {
      store.consumeSync([{ key: `k${i}`, rules, cost: 1 }])
      if ((i & 0xffff) === 0 && store.size > largest) largest = store.size
    }
    expect(Math.max(largest, store.size)).toBe(20_000)
    // The most recent keys are kept; the oldest were evicted.
    expect(store.consumeSync([{ key: 'k999999', rules, cost: 1 }]).remaining).toBe(8)
    expect(store.consumeSync([{ key: 'k0', rules, cost: 1 }]).remaining).toBe(9)
  })

  it('idle keys expire after their window (TTL on the injected clock)', () => {
    const clock = fakeClock(0)
    const store = new MemoryStore({ clock })
    const rules = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 10, windowMs: 1_000 }]
    store.consumeSync([{ key: 'idle', rules, cost: 1 }])
    expect(store.size).toBe(1)
    clock.tick(1_001)
    expect(store.consumeSync([{ key: 'other', rules, cost: 1 }]).allowed).toBe(true)
    expect(store.consumeSync([{ key: 'idle', rules, cost: 1 }]).remaining).toBe(9)
    clock.tick(1_000)
    expect(store.size).toBe(2)
    expect(store.purgeStale()).toBe(2)
    expect(store.size).toBe(0)
  })

  it('sweeps expired keys on a decision once purgeIntervalMs has passed (no timers)', () => {
    const clock = fakeClock(0)
    const store = new MemoryStore({ clock, purgeIntervalMs: 10_000 })
    const rules = [{ algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 10, windowMs: 1_000 }]
    for (let i = 0; i < 100; i++) store.consumeSync([{ key: `k${i}`, rules, cost: 1 }])
    expect(store.size).toBe(100)
    clock.tick(9_999)
    store.consumeSync([{ key: 'k0', rules, cost: 1 }])
    expect(store.size).toBe(100) // not yet
    clock.tick(1)
    store.consumeSync([{ key: 'fresh', rules, cost: 1 }])
    expect(store.size).toBe(2) // k0 (used 1 ms ago, its bucket refills in 100 ms) and fresh
  })

  it('a caller back after its state expired starts fresh, in the same entry (one or several entries per decision)', () => {
    const clock = fakeClock(0)
    const store = new MemoryStore({ clock, purgeIntervalMs: 0 })
    const bucket = [{ algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 100, windowMs: 1_000, burst: 5 }]
    const fixed = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 3, windowMs: 1_000 }]
    for (let round = 0; round < 3; round++) {
      // 5 tokens refill in 50 ms: every round finds the bucket expired and the fixed window past its edge.
      for (let i = 0; i < 5; i++) expect(store.consumeSync([{ key: 'c', rules: bucket, cost: 1 }]).remaining).toBe(4 - i)
      expect(store.consumeSync([{ key: 'c', rules: bucket, cost: 1 }]).allowed).toBe(false)
      const many = () =>
        store.consumeSync([
          { key: 'm', scope: 'route:a', rules: fixed, cost: 1 },
          { key: 'm', rules: bucket, cost: 1 },
        ])
      expect([many(), many(), many(), many()].map((d) => d.allowed)).toEqual([true, true, true, false])
      expect(store.size).toBe(3)
      clock.tick(1_000)
    }
    // A denied decision drops an expired entry instead of keeping it.
    expect(store.consumeSync([{ key: 'c', rules: bucket, cost: 6 }]).allowed).toBe(false)
    expect(store.size).toBe(2)
  })
})
