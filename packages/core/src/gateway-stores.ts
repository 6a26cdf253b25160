// The gateway's stores: one shared Redis client when redisUrl or redis is set (ioredis loaded on start), in-memory stores otherwise.
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
import { ConfigError } from './errors.js'
import { untilReady } from './limiter/store/connection.js'
import { DEFAULT_STORE_TIMEOUT_MS } from './limiter/store/deadline.js'
import { GuardedStore } from './limiter/store/guarded-store.js'
import { MemoryStore } from './limiter/store/memory-store.js'
import { lazyRedis } from './limiter/store/lazy-redis.js'
import { RedisStore } from './limiter/store/redis-store.js'
import { resolveRedisOption } from './redis/resolve.js'
import { gateCacheStore } from './redis/gated-cache-store.js'
import { watchRedisTopology } from './redis/topology-check.js'

export interface GatewayStores {
  /** The shared client (`redisUrl` or `redis`); an ioredis Cluster for `redis.cluster` (`isCluster` true). */
  redis: Redis | undefined
  /** Rate limits and upstream budgets; guarded (timeout + failure policy) when it is Redis. */
  rateLimit: RateLimitStore
  guard: GuardedStore | undefined
  /** Undefined when the API-key options bring their own store (or memory is wanted). */
  keys: APIKeyStore | undefined
  cache: CacheStore
  prefix: string
  /** The deadline of every store call, in ms (`storeTimeoutMs`). */
  timeoutMs: number
  /** Resolves once Redis is connected (at once without Redis); rejects with StoreUnavailableError after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>
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
  const timeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
  // The guard below logs each outage and recovery once (with what it means for requests): the client stays quiet.
  const spec = resolveRedisOption(options)
  const lazy = spec ? lazyRedis(spec, { warn() {}, info() {} }) : undefined
  // Loading starts now, so a store call made right after construction (createApiKey at boot) waits for the connection.
  void lazy?.connect().catch(() => {}) // start() and ready() report a missing ioredis
  const redis = lazy?.client
  const topology = redis && spec ? watchRedisTopology(redis, spec, logger) : undefined
  const guard = redis
    ? new GuardedStore(new RedisStore({ client: redis, prefix }), {
        timeoutMs,
        onStoreFailure: options.onStoreFailure ?? 'fallback',
        connection: redis,
        probe: () => redis.ping(),
        logger,
        clock,
        name: 'redis',
      })
    : undefined
  const rateLimit: RateLimitStore = guard ?? new MemoryStore({ clock })
  const cache: CacheStore =
    options.cache?.store ??
    (redis
      ? gateCacheStore(new RedisCacheStore(redis, { prefix, clock }), () => topology?.problem)
      : new MemoryCacheStore({ clock, maxSizeBytes: options.cache?.maxSizeBytes }))
  return {
    redis,
    rateLimit,
    guard,
    keys: redis ? new RedisKeyStore({ client: redis, prefix, timeoutMs }) : undefined,
    cache,
    prefix,
    timeoutMs,
    async ready(waitMs = 5_000) {
      if (typeof waitMs !== 'number' || !(waitMs > 0))
        throw new ConfigError(`ready: timeoutMs must be a positive number of ms, got ${JSON.stringify(waitMs)}`)
      if (!lazy || !redis) return
      await lazy.connect()
      await untilReady(redis, waitMs, 'redis')
    },
    async connect(log) {
      if (!lazy) return
      await lazy.connect() // rejects when ioredis is not installed: that is the user's to fix
      await this.ready(2_000).catch(() => {
        // A refused connection has already been logged by the guard as an outage.
        if (guard?.health().status === 'up') log.warn('redis is not reachable yet: rate limits fall back to memory until it is')
      })
    },
    async close() {
      await cache.close()
      // Stop listening first: a Cluster's quit() emits 'close' before 'end', which would read as an outage.
      await guard?.close()
      // Loading started at construction: wait for it, or a client created after close() would reconnect forever.
      const client = await lazy?.connect().catch(() => undefined)
      if (client && client.status !== 'end' && spec?.kind !== 'instance') await client.quit().catch(() => client.disconnect())
    },
    health() {
      const problem = topology?.problem
      return {
        // A Redis the stores cannot use as configured makes the gateway's /_health status 'degraded'.
        ...(problem && { status: 'degraded', problem: `redis ${problem}` }),
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
