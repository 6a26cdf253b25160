// The Redis cache while the Redis is known to be misconfigured: requests go uncached quietly (the problem was logged once).
import type { CacheStore } from '../cache/store.js'
import { StoreUnavailableError } from '../errors.js'

/**
 * Wraps `store` so that, while `problem()` names one, reads miss and writes are skipped without reaching Redis
 * (each would fail, and each failure would be logged); a purge answers 503 with the problem.
 * @example
 * const cache = gateCacheStore(new RedisCacheStore(redis), () => topology.problem)
 */
export const gateCacheStore = (store: CacheStore, problem: () => string | undefined): CacheStore => ({
  get: (key) => (problem() ? Promise.resolve(undefined) : store.get(key)),
  set: (key, record, ttlMs) => (problem() ? Promise.resolve() : store.set(key, record, ttlMs)),
  delete: (key) => (problem() ? Promise.resolve(false) : store.delete(key)),
  purge(prefix) {
    const wrong = problem()
    return wrong ? Promise.reject(new StoreUnavailableError(`cache store: redis ${wrong}`)) : store.purge(prefix)
  },
  size: () => (problem() ? Promise.resolve(0) : store.size()),
  close: () => store.close(),
})
