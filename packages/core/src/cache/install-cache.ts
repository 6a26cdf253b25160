// Plugs the response cache into a gateway: its stage, hit/miss counters, the cache_size gauge, purge and close.
import type { APIGateway } from '../gateway.js'
import { cacheStage } from './cache-stage.js'
import { cacheSizeGauge } from './size-gauge.js'
import type { CacheStore } from './store.js'

export const installCache = (gateway: APIGateway, store: CacheStore): void => {
  const { metrics, logger, clock } = gateway
  gateway.setStage('cache', (route) =>
    cacheStage(route, {
      store,
      clock,
      onHit: (c) => metrics.increment('cache_hits', c.get('routeMetrics')),
      onMiss: (c) => metrics.increment('cache_misses', c.get('routeMetrics')),
      onError: (error) => logger.warn('cache store error; serving uncached:', error),
    }),
  )
  metrics.gauge('cache_size', cacheSizeGauge(store, { clock }))
  gateway.addLifecycle({ stop: () => store.close() })
}
