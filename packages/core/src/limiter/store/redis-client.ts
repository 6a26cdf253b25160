// One ioredis client per gateway, configured to fail fast during an outage instead of queueing commands.
import { Redis, type RedisOptions } from 'ioredis'
import { untilReady } from './connection.js'
import type { StoreLogger } from './store-error.js'

export interface RedisClientOptions extends RedisOptions {
  /** Where outages and recoveries are reported (once each). Default: console. */
  logger?: StoreLogger
  /** Longest wait between reconnect attempts, in ms. Default 2 000. */
  maxReconnectDelayMs?: number
}

/**
 * Creates the gateway's Redis client: no offline queue (a command during an outage fails at once, nothing is
 * replayed after reconnect and memory stays flat), no per-command retries, reconnects forever with capped
 * exponential backoff (50 ms doubling to `maxReconnectDelayMs`), connects at once, logs an outage once and its
 * recovery once. Callers own the client: `await client.quit()` on shutdown.
 * @example
 * const redis = createRedisClient(options.redisUrl, { logger })
 * const store = new RedisStore({ client: redis, prefix: 'tollgate' })
 */
export const createRedisClient = (url: string, options: RedisClientOptions = {}): Redis => {
  const { logger = console, maxReconnectDelayMs = 2_000, ...redisOptions } = options
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    lazyConnect: false,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 16), maxReconnectDelayMs),
    ...redisOptions,
  })
  let down = false
  client.on('error', (error: Error) => {
    if (down) return
    down = true
    // A system error's code (ECONNREFUSED) says it all; the client's own wording stays out of the log.
    const code = (error as NodeJS.ErrnoException).code
    logger.warn(`redis ${redactUrl(url)} unavailable (${code ?? 'connection failed'}); reconnecting (logged once until it recovers)`)
  })
  // 'reconnecting' follows only an unexpected close (quit()/disconnect() end the client without it).
  client.on('reconnecting', () => {
    if (down) return
    down = true
    logger.warn(`redis ${redactUrl(url)} connection lost; reconnecting (logged once until it recovers)`)
  })
  client.on('ready', () => {
    if (down) logger.info(`redis ${redactUrl(url)} available again`)
    down = false
  })
  return client
}

/** Resolves once the client is ready, or rejects with StoreUnavailableError after `timeoutMs` (the client keeps reconnecting). */
export const redisReady = (client: Redis, timeoutMs = 5_000): Promise<void> => untilReady(client, timeoutMs, 'redis')

const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@')
