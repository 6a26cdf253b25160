// The gateway's Redis client, loaded with import() only when Redis is configured, so a memory-only user never needs ioredis.
import type { Redis } from 'ioredis'
import type { RedisConnectionSpec } from '../../redis/resolve.js'
import type { StoreLogger } from './store-error.js'

/** Loads ioredis (through our client factory); only called when Redis is configured (`redisUrl` or `redis`). */
export const loadRedis = async (): Promise<typeof import('./redis-client.js')> => {
  try {
    return await import('./redis-client.js')
  } catch (error) {
    throw new Error('Redis is configured but ioredis cannot be loaded: install it next to @tollgate/core (npm install ioredis)', {
      cause: error,
    })
  }
}

export interface LazyRedis {
  /**
   * Stands in for the client from the constructor on, so the stores can be built before ioredis is loaded. Until it
   * is loaded it reports `status` 'connecting' (store calls wait for 'ready', within their deadline) and keeps listeners.
   */
  readonly client: Redis
  /** The real client once connect() has created it. */
  readonly loaded: Redis | undefined
  /** Loads ioredis and creates the client (once); rejects when ioredis is not installed. */
  connect(): Promise<Redis>
  /** After connect(): resolves once the client is ready, or rejects after `timeoutMs` (it keeps reconnecting). */
  ready(timeoutMs: number): Promise<void>
}

/**
 * A Redis client (one server, a Cluster or a Sentinel master) created on first connect(). The stand-in is typed as
 * `Redis`; it is a Cluster when the spec is one (`isCluster` says so from the start).
 * @example
 * const redis = lazyRedis(options.redisUrl, logger)
 * const store = new RedisStore({ client: redis.client, prefix })
 * await redis.connect() // on start()
 */
export const lazyRedis = (connection: string | RedisConnectionSpec, logger: StoreLogger): LazyRedis => {
  const spec: RedisConnectionSpec = typeof connection === 'string' ? { kind: 'url', url: connection } : connection
  const isCluster = spec.kind === 'cluster' || (spec.kind === 'instance' && spec.client.isCluster === true)
  let real: Redis | undefined
  let loading: Promise<{ client: Redis; redisReady: (client: Redis, timeoutMs?: number) => Promise<void> }> | undefined
  const load = () =>
    (loading ??= loadRedis().then(({ createRedisConnection, redisReady }) => {
      real = createRedisConnection(spec, { logger }) as Redis
      for (const [method, event, listener] of early.splice(0)) real[method](event, listener)
      return { client: real, redisReady }
    }))
  const notLoaded = () => Promise.reject(new Error('redis: ioredis is still loading'))
  // Listeners added before the client exists (the guard's, a ready() wait) are moved onto it when it is created.
  const early: Array<[method: 'on' | 'once', event: string, listener: (...args: unknown[]) => void]> = []
  const listen = (method: 'on' | 'once') => (event: string, listener: (...args: unknown[]) => void) => {
    early.push([method, event, listener])
    return client
  }
  const unlisten = (event: string, listener: (...args: unknown[]) => void) => {
    const at = early.findIndex(([, e, l]) => e === event && l === listener)
    if (at >= 0) early.splice(at, 1)
    return client
  }
  // Every store command goes through here: bind each method once, not on every call.
  const bound = new Map<PropertyKey, { method: (...args: unknown[]) => unknown; bound: unknown }>()
  const client: Redis = new Proxy({} as Redis, {
    get(_, property) {
      if (real) {
        const value: unknown = Reflect.get(real, property, real)
        if (typeof value !== 'function') return value
        const known = bound.get(property)
        if (known?.method === value) return known.bound
        const method = value as (...args: unknown[]) => unknown
        const fresh = { method, bound: method.bind(real) }
        bound.set(property, fresh)
        return fresh.bound
      }
      if (property === 'status') return 'connecting' // as ioredis says before its first 'ready': calls wait for it
      if (property === 'isCluster') return isCluster // the stores pick their key layout at construction
      if (property === 'on' || property === 'once') return listen(property)
      if (property === 'off' || property === 'removeListener') return unlisten
      // Not a thenable, and nothing for inspect or coercion: only commands fail.
      return typeof property === 'symbol' || property === 'then' ? undefined : notLoaded
    },
    set(_, property, value) {
      if (!real) return false
      return Reflect.set(real, property, value, real)
    },
  })
  return {
    client,
    get loaded() {
      return real
    },
    connect: async () => (await load()).client,
    async ready(timeoutMs) {
      const { client, redisReady } = await load()
      await redisReady(client, timeoutMs)
    },
  }
}
