// The one place the gateway builds ioredis clients: one Redis, a Cluster or a Sentinel-backed master, all failing fast.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { StoreLogger } from '../limiter/store/store-error.js'
import { describeRedis, type RedisConnectionSpec } from './resolve.js'

/** A client the stores share: one Redis (URL or Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster

export interface RedisConnectionOptions {
  /** Where outages and recoveries are reported (once each). Default: console. */
  logger?: StoreLogger
  /** Longest wait between reconnect attempts, in ms. Default 2 000. */
  maxReconnectDelayMs?: number
}

/**
 * No offline queue (a command during an outage fails at once, nothing is replayed after reconnect and memory stays
 * flat), no per-command retries, capped exponential backoff, connect at once.
 */
const failFast = (maxReconnectDelayMs: number): RedisOptions => ({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  lazyConnect: false,
  connectTimeout: 2_000,
  retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 16), maxReconnectDelayMs),
})

const build = (spec: Exclude<RedisConnectionSpec, { kind: 'instance' }>, maxReconnectDelayMs: number): RedisClient => {
  const base = failFast(maxReconnectDelayMs)
  const tls = spec.tls ? { tls: spec.tls } : {}
  switch (spec.kind) {
    case 'url':
      return new Redis(spec.url, { ...base, ...tls, ...spec.options })
    case 'sentinel':
      return new Redis({
        ...base,
        sentinels: spec.sentinels,
        name: spec.name,
        sentinelRetryStrategy: base.retryStrategy!,
        ...(spec.tls ? { tls: spec.tls, enableTLSForSentinelMode: true } : {}),
        ...spec.options,
      })
    case 'cluster': {
      // Node connections stay lazy, as ioredis makes them: an eager one (lazyConnect: false) raced the first slot
      // refresh, failed the cluster's ready check now and then and made it reconnect (an outage logged at start).
      const { retryStrategy, enableOfflineQueue: _queue, lazyConnect: _lazy, ...nodeOptions } = base
      const given = (spec.options ?? {}) as ClusterOptions
      const options: ClusterOptions = {
        enableOfflineQueue: false,
        clusterRetryStrategy: (times) => retryStrategy!(times) ?? maxReconnectDelayMs,
        // A failover is a few seconds: each slot-map refresh must answer within the store deadline's order.
        slotsRefreshTimeout: 2_000,
        ...given,
        redisOptions: { ...nodeOptions, ...spec.auth, ...tls, ...given.redisOptions },
      }
      return new Cluster(spec.nodes, options)
    }
  }
}

/**
 * Creates the gateway's shared client from a spec (see resolveRedisOption), logging an outage once and its
 * recovery once. A given instance is returned as it is (its owner configured it). Callers own the client:
 * `await client.quit()` on shutdown.
 * @example
 * const redis = createRedisConnection({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 7000 }], auth: {} }, { logger })
 */
export const createRedisConnection = (spec: RedisConnectionSpec, options: RedisConnectionOptions = {}): RedisClient => {
  if (spec.kind === 'instance') return spec.client as RedisClient
  const { logger = console, maxReconnectDelayMs = 2_000 } = options
  const client = build(spec, maxReconnectDelayMs)
  const name = describeRedis(spec)
  let down = false
  const lost = (why: string) => {
    if (down) return
    down = true
    logger.warn(`${name} ${why}; reconnecting (logged once until it recovers)`)
  }
  // A system error's code (ECONNREFUSED) says it all; the client's own wording stays out of the log.
  client.on('error', (error: Error) => lost(`unavailable (${(error as NodeJS.ErrnoException).code ?? 'connection failed'})`))
  // 'reconnecting' follows only an unexpected close (quit()/disconnect() end the client without it).
  client.on('reconnecting', () => lost('connection lost'))
  client.on('ready', () => {
    if (down) logger.info(`${name} available again`)
    down = false
  })
  return client
}
