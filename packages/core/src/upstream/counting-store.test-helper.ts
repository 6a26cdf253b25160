// Test-only: wraps a RateLimitStore and counts the units it granted.
import type { LimitDecision, LimitRule, RateLimitStore } from '../limiter/types.js'
import { MemoryStore } from '../store/memory-store.js'

export interface CountingStore extends RateLimitStore {
  /** Units granted so far. */
  consumed: number
}

/** The limiter's MemoryStore (or any store), counting what it granted. */
export const countingStore = (inner: RateLimitStore = new MemoryStore()): CountingStore => {
  const store: CountingStore = {
    consumed: 0,
    async consume(key: string, rules: readonly LimitRule[], cost: number): Promise<LimitDecision> {
      const decision = await inner.consume(key, rules, cost)
      if (decision.allowed) store.consumed += cost
      return decision
    },
    reset: (key) => inner.reset(key),
    close: () => inner.close(),
  }
  return store
}
