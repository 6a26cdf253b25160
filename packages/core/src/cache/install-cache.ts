// Plugs the response cache into a gateway: its stage, hit/miss counters, the cache_size gauge, purge and close.
import type { APIGateway } from '../gateway.js'
import { DEFAULT_STORE_TIMEOUT_MS } from '../store/deadline.js'
import { cacheStage } from './cache-stage.js'
import { DeadlineCacheStore } from './deadline-cache-store.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import { resolveSecretQueryParams } from './secret-query.js'
import { cacheSizeGauge } from './size-gauge.js'
import type { CacheStore } from './store.js'

export const installCache = (gateway: APIGateway, store: CacheStore): void => {
  const { metrics, logger, clock, options } = gateway
  // The memory store answers in-process; any other store gets the shared deadline and logs its outages once.
  const guarded =
    store instanceof MemoryCacheStore
      ? store
      : new DeadlineCacheStore(store, { timeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, logger })
  const secretQueryParams = resolveSecretQueryParams(options.cache?.secretQueryParams)
  gateway.setStage('cache', (route) =>
    cacheStage(route, {
      store: guarded,
      clock,
      secretQueryParams,
      onHit: (c) => metrics.increment('cache_hits', c.get('routeMetrics')),
      onMiss: (c) => metrics.increment('cache_misses', c.get('routeMetrics')),
      // stale-while-revalidate refreshes go through the whole gateway again, as the request that found the entry stale.
      refresh: async (request) => gateway.fetch(request),
    }),
  )
  metrics.gauge('cache_size', cacheSizeGauge(guarded, { clock }))
  gateway.addLifecycle({ stop: () => store.close() })
}
