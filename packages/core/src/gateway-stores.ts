// The gateway's stores: one shared Redis client when redisUrl is set (ioredis loaded on start), in-memory stores otherwise.
import type { Redis } from 'ioredis'
import type { Clock } from './clock.js'
import type { RateLimitStore } from './limiter/types.js'
import { MemoryCacheStore } from './cache/memory-cache-store.js'
import { RedisCacheStore } from './cache/redis-cache-store.js'
import type { CacheStore } from './cache/store.js'
import type { APIKeyStore } from './keys/types.js'
import { RedisKeyStore } from './keys/redis-key-store.js'
import type { PrometheusFamily } from './metrics/gateway-metrics.js'
import type { GatewayOptions, Logger } from './options.js'
import { GuardedStore } from './store/guarded-store.js'
import { MemoryStore } from './store/memory-store.js'
import { lazyRedis } from './store/lazy-redis.js'
import { RedisStore } from './store/redis-store.js'

export interface GatewayStores {
  redis: Redis | undefined
  /** Rate limits and upstream budgets; guarded (timeout + failure policy) when it is Redis. */
  rateLimit: RateLimitStore
  guard: GuardedStore | undefined
  /** Undefined when the API-key options bring their own store (or memory is wanted). */
  keys: APIKeyStore | undefined
  cache: CacheStore
  prefix: string
  /** Waits (bounded) for Redis at start; the gateway starts anyway and falls back while it is down. */
  connect(logger: Logger): Promise<void>
  close(): Promise<void>
  /** For /_health and the `stores` section of /_metrics. */
  health(): Record<string, unknown>
  /** Store outages as Prometheus families (empty without Redis). */
  prometheus(): PrometheusFamily[]
}

export const createGatewayStores = (options: GatewayOptions, logger: Logger, clock: Clock): GatewayStores => {
  const prefix = options.keyPrefix ?? 'tollgate'
  const lazy = options.redisUrl ? lazyRedis(options.redisUrl, logger) : undefined
  const redis = lazy?.client
  const guard = redis
    ? new GuardedStore(new RedisStore({ client: redis, prefix }), {
        timeoutMs: options.storeTimeoutMs ?? 20,
        onStoreFailure: options.onStoreFailure ?? 'fallback',
        logger,
        clock,
        name: 'redis',
      })
    : undefined
  const rateLimit: RateLimitStore = guard ?? new MemoryStore({ clock })
  const cache: CacheStore =
    options.cache?.store ??
    (redis ? new RedisCacheStore(redis, { prefix, clock }) : new MemoryCacheStore({ clock, maxSizeBytes: options.cache?.maxSizeBytes }))
  return {
    redis,
    rateLimit,
    guard,
    keys: redis ? new RedisKeyStore({ client: redis, prefix }) : undefined,
    cache,
    prefix,
    async connect(log) {
      if (!lazy) return
      await lazy.connect() // rejects when ioredis is not installed: that is the user's to fix
      await lazy.ready(2_000).catch(() => log.warn('redis is not reachable yet: rate limits fall back to memory until it is'))
    },
    async close() {
      await cache.close()
      const client = lazy?.loaded
      if (client && client.status !== 'end') await client.quit().catch(() => client.disconnect())
    },
    health() {
      return {
        rate_limit: guard ? guard.stats() : { status: 'up', store: 'memory' },
        redis: redis ? redis.status : 'not configured',
      }
    },
    prometheus() {
      if (!guard) return []
      const stats = guard.stats()
      const one = (name: string, help: string, type: PrometheusFamily['type'], value: number): PrometheusFamily => ({
        name,
        help,
        type,
        samples: [{ labels: { store: 'redis' }, value }],
      })
      return [
        one(
          'tollgate_store_up',
          'Whether the shared rate-limit store answers (1) or the failure policy applies (0)',
          'gauge',
          Number(stats.status === 'up'),
        ),
        one('tollgate_store_failures_total', 'Store errors and timeouts', 'counter', stats.failures),
        one(
          'tollgate_store_fallback_decisions_total',
          'Limit decisions made by the local fallback limiter',
          'counter',
          stats.fallbackDecisions,
        ),
        one('tollgate_store_allowed_on_failure_total', "Requests let through by the 'allow' policy", 'counter', stats.allowedOnFailure),
        one('tollgate_store_denied_on_failure_total', "Requests refused by the 'deny' policy", 'counter', stats.deniedOnFailure),
      ]
    },
  }
}
