// Cache store shared by gateway instances: one binary-safe Redis string per record plus an index for purge and size.
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { systemClock, type Clock } from '../clock.js'
import { isClusterClient } from '../redis/cluster.js'
import { decodeRecord, encodeRecord, type CacheRecord, type CacheStore } from './store.js'

/** The slice of ioredis the store uses (a Cluster fits: then `isCluster` is true). */
export type RedisCacheClient = Pick<Redis, 'getBuffer' | 'multi' | 'zscan' | 'del'> & { readonly isCluster?: boolean }

/** Index shards on a cluster: records and their index entry share a shard's hash tag, and 64 tags spread over the masters. */
export const CLUSTER_INDEX_SHARDS = 64

export interface RedisCacheStoreOptions {
  /** Key prefix shared with the other stores: records live at `${prefix}:cache:<key>`. Default "tollgate". */
  prefix?: string
  /** Keys deleted per round trip while purging (also the ZSCAN COUNT hint). Default 500. */
  purgeBatch?: number
  /** Clock for the index's expiry scores. Default: Date.now(). */
  clock?: Clock
  /**
   * Index shards, each with its own hash tag (`{c0}`…): a record and its index entry share a shard, so one MULTI
   * writes both on a cluster, and the shards spread over the masters. Default 1 on one server (no tag, keys
   * `${prefix}:cache:<key>` and `${prefix}:cache-index`), CLUSTER_INDEX_SHARDS on a cluster.
   */
  indexShards?: number
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&')

type ExecResult = [error: Error | null, result: unknown][] | null

const check = (results: ExecResult, what: string): unknown[] => {
  if (!results) throw new Error(`RedisCacheStore: ${what} transaction was aborted`)
  return results.map(([error, result]) => {
    if (error) throw new Error(`RedisCacheStore: ${what} failed`, { cause: error })
    return result
  })
}

/**
 * Records are written with `SET … PX` (value and TTL in one command) in a MULTI with their index entry: a sorted
 * set of cache keys scored by expiry. `purge(prefix)` walks that index with ZSCAN MATCH in bounded batches (never
 * the whole keyspace); `size()` drops expired index members and counts the rest.
 *
 * The index is bounded without anyone reading it: each write also removes the members that have expired and
 * extends the index's own TTL to the longest record's (PEXPIRE NX, then GT), so once every record has expired
 * the index key expires too. Distinct query strings cannot grow it past the records alive at once.
 *
 * On a Redis Cluster the index is sharded (see `indexShards`): records live at `${prefix}:cache:{cN}:<key>` beside
 * their shard's index `${prefix}:cache-index:{cN}`; purge and size visit every shard, so every master.
 * @example
 * const store = new RedisCacheStore(new Redis(process.env.REDIS_URL), { prefix: 'tollgate' })
 */
export class RedisCacheStore implements CacheStore {
  readonly #redis: RedisCacheClient
  /** Per shard: the records' namespace and the index key. */
  readonly #shards: { namespace: string; index: string }[]
  readonly #batch: number
  readonly #clock: Clock

  constructor(redis: RedisCacheClient, options: RedisCacheStoreOptions = {}) {
    const prefix = options.prefix ?? 'tollgate'
    const shards = options.indexShards ?? (isClusterClient(redis) ? CLUSTER_INDEX_SHARDS : 1)
    if (!Number.isInteger(shards) || shards < 1 || shards > 16_384)
      throw new TypeError(`indexShards must be an integer from 1 to 16384, got ${shards}`)
    this.#redis = redis
    this.#shards =
      shards === 1
        ? [{ namespace: `${prefix}:cache:`, index: `${prefix}:cache-index` }]
        : Array.from({ length: shards }, (_, n) => ({ namespace: `${prefix}:cache:{c${n}}:`, index: `${prefix}:cache-index:{c${n}}` }))
    this.#batch = options.purgeBatch ?? 500
    this.#clock = options.clock ?? systemClock
  }

  /** The shard of a cache key: stable across instances (it names the Redis keys). */
  #shardOf(key: string): { namespace: string; index: string } {
    if (this.#shards.length === 1) return this.#shards[0]!
    return this.#shards[createHash('md5').update(key).digest().readUInt32BE(0) % this.#shards.length]!
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    let value: Buffer | null
    try {
      value = await this.#redis.getBuffer(this.#shardOf(key).namespace + key)
    } catch (cause) {
      throw new Error('RedisCacheStore: get failed', { cause })
    }
    return value === null ? undefined : decodeRecord(value)
  }

  async set(key: string, record: CacheRecord, ttlMs: number): Promise<void> {
    const ttl = Math.ceil(ttlMs)
    if (ttl <= 0) return void (await this.delete(key))
    const now = this.#clock.now()
    const { namespace, index } = this.#shardOf(key)
    const results = await this.#redis
      .multi()
      .set(namespace + key, encodeRecord(record), 'PX', ttl)
      .zremrangebyscore(index, '-inf', now)
      .zadd(index, now + ttl, key)
      // NX gives a fresh index a TTL (GT alone treats "no TTL" as infinite and would never set one).
      .pexpire(index, ttl, 'NX')
      .pexpire(index, ttl, 'GT')
      .exec()
    check(results, 'set')
  }

  async delete(key: string): Promise<boolean> {
    const { namespace, index } = this.#shardOf(key)
    const results = await this.#redis
      .multi()
      .unlink(namespace + key)
      .zrem(index, key)
      .exec()
    return check(results, 'delete')[0] === 1
  }

  async purge(prefix = ''): Promise<number> {
    // Shards in parallel: on a cluster they sit on different masters.
    const removed = await Promise.all(this.#shards.map((shard) => this.#purgeShard(shard, `${escapeGlob(prefix)}*`)))
    return removed.reduce((sum, n) => sum + n, 0)
  }

  async #purgeShard({ namespace, index }: { namespace: string; index: string }, pattern: string): Promise<number> {
    let removed = 0
    let cursor = '0'
    do {
      const [next, flat] = await this.#redis.zscan(index, cursor, 'MATCH', pattern, 'COUNT', this.#batch)
      cursor = next
      // ZSCAN answers member, score, member, score, …
      const members: string[] = []
      for (let i = 0; i < flat.length; i += 2) members.push(flat[i]!)
      for (let i = 0; i < members.length; i += this.#batch) {
        const chunk = members.slice(i, i + this.#batch)
        const results = await this.#redis
          .multi()
          .unlink(...chunk.map((m) => namespace + m))
          .zrem(index, ...chunk)
          .exec()
        removed += Number(check(results, 'purge')[0])
      }
    } while (cursor !== '0')
    return removed
  }

  async size(): Promise<number> {
    const now = this.#clock.now()
    const sizes = await Promise.all(
      this.#shards.map(async ({ index }) =>
        Number(check(await this.#redis.multi().zremrangebyscore(index, '-inf', now).zcard(index).exec(), 'size')[1]),
      ),
    )
    return sizes.reduce((sum, n) => sum + n, 0)
  }

  /** The client belongs to the caller (it is usually shared with other stores): nothing to close here. */
  async close(): Promise<void> {}
}
