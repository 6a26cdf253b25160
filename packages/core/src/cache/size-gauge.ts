// A synchronous reading of a cache store's size for the `cache_size` gauge, which metrics read without awaiting.
import { systemClock, type Clock } from '../clock.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import type { CacheStore } from './store.js'

export interface CacheSizeGaugeOptions {
  /** Re-read a remote store's size at most this often, in ms. Default 5 000. */
  refreshMs?: number
  clock?: Clock
  /** Called when reading the size fails (the last value is kept). */
  onError?(error: unknown): void
}

/**
 * Returns a function giving the store's record count now: exact for the memory store; for other stores the last
 * value read, refreshed in the background (no timers) when older than `refreshMs`, 0 before the first answer.
 * @example
 * metrics.gauge('cache_size', cacheSizeGauge(store))
 */
export const cacheSizeGauge = (store: CacheStore, options: CacheSizeGaugeOptions = {}): (() => number) => {
  if (store instanceof MemoryCacheStore) return () => store.entries
  const clock = options.clock ?? systemClock
  const refreshMs = options.refreshMs ?? 5_000
  let last = 0
  let readAt = Number.NEGATIVE_INFINITY
  let reading = false
  return () => {
    const now = clock.now()
    if (!reading && now - readAt >= refreshMs) {
      reading = true
      readAt = now
      store
        .size()
        .then(
          (size) => void (last = size),
          (error: unknown) => options.onError?.(error),
        )
        .finally(() => void (reading = false))
    }
    return last
  }
}
