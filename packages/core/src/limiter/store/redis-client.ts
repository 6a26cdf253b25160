// One ioredis client per gateway, configured to fail fast during an outage instead of queueing commands.
import type { Redis, RedisOptions } from 'ioredis'
import { createRedisConnection } from '../../redis/client-factory.js'
import type { RedisClient } from '../../redis/client-factory.js'
import { untilReady } from './connection.js'
import type { StoreLogger } from './store-error.js'

export { createRedisConnection, type RedisClient, type RedisConnectionOptions } from '../../redis/client-factory.js'
export { resolveRedisOption, describeRedis, type RedisConnectionSpec } from '../../redis/resolve.js'

export interface RedisClientOptions extends RedisOptions {
  /** Where outages and recoveries are reported (once each). Default: console. */
  logger?: StoreLogger
  /** Longest wait between reconnect attempts, in ms. Default 2 000. */
  maxReconnectDelayMs?: number
}

/**
 * Creates the gateway's Redis client for one URL: no offline queue (a command during an outage fails at once,
 * nothing is replayed after reconnect and memory stays flat), no per-command retries, reconnects forever with
 * capped exponential backoff (50 ms doubling to `maxReconnectDelayMs`), connects at once, logs an outage once and
 * its recovery once. Callers own the client: `await client.quit()` on shutdown. For a cluster or Sentinel, see
 * createRedisConnection.
 * @example
 * const redis = createRedisClient(options.redisUrl, { logger })
 * const store = new RedisStore({ client: redis, prefix: 'tollgate' })
 */
export const createRedisClient = (url: string, options: RedisClientOptions = {}): Redis => {
  const { logger, maxReconnectDelayMs, ...redisOptions } = options
  return createRedisConnection(
    { kind: 'url', url, options: redisOptions as Record<string, unknown> },
    { ...(logger && { logger }), ...(maxReconnectDelayMs !== undefined && { maxReconnectDelayMs }) },
  ) as Redis
}

/** Resolves once the client is ready, or rejects with StoreUnavailableError after `timeoutMs` (the client keeps reconnecting). */
export const redisReady = (client: RedisClient, timeoutMs = 5_000): Promise<void> => untilReady(client, timeoutMs, 'redis')
