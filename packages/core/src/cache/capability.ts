// The response cache as a capability: its stage, hit/miss counters, the cache_size gauge and close.
import { defineCapability } from '../capability.js'
import { DEFAULT_STORE_TIMEOUT_MS } from '../limiter/store/deadline.js'
import { cacheStage } from './cache-stage.js'
import { DeadlineCacheStore } from './deadline-cache-store.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import { cacheGatewaySchema, cacheRouteSchema } from './schema.js'
import { resolveSecretQueryParams } from './secret-query.js'
import { cacheSizeGauge } from './size-gauge.js'

export const cacheCapability = defineCapability({
  name: 'cache',
  order: 300,
  schema: cacheRouteSchema,
  gatewaySchema: cacheGatewaySchema,
  install(host) {
    const { metrics, logger, clock, options } = host
    const store = host.stores.cache
    // The memory store answers in-process; any other store gets the shared deadline and logs its outages once.
    const guarded =
      store instanceof MemoryCacheStore
        ? store
        : new DeadlineCacheStore(store, { timeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, logger })
    const secretQueryParams = resolveSecretQueryParams(options.cache?.secretQueryParams)
    host.setStage('cache', (route) =>
      cacheStage(route, {
        store: guarded,
        clock,
        secretQueryParams,
        onHit: (c) => metrics.increment('cache_hits', c.get('routeMetrics')),
        onMiss: (c) => metrics.increment('cache_misses', c.get('routeMetrics')),
        // stale-while-revalidate refreshes go through the whole gateway again, as the request that found the entry stale.
        refresh: async (request) => host.fetch(request),
      }),
    )
    metrics.gauge('cache_size', cacheSizeGauge(guarded, { clock }))
    host.addLifecycle({ stop: () => store.close() })
  },
})
