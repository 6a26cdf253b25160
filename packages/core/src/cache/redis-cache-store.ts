// Cache store shared by gateway instances: one binary-safe Redis string per record plus an index for purge and size.
import type { Redis } from 'ioredis'
import { systemClock, type Clock } from '../clock.js'
import { decodeRecord, encodeRecord, type CacheRecord, type CacheStore } from './store.js'

/** The slice of ioredis the store uses. */
export type RedisCacheClient = Pick<Redis, 'getBuffer' | 'multi' | 'zscan' | 'del'>

export interface RedisCacheStoreOptions {
  /** Key prefix shared with the other stores: records live at `${prefix}:cache:<key>`. Default "tollgate". */
  prefix?: string
  /** Keys deleted per round trip while purging (also the ZSCAN COUNT hint). Default 500. */
  purgeBatch?: number
  /** Clock for the index's expiry scores. Default: Date.now(). */
  clock?: Clock
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
 * @example
 * const store = new RedisCacheStore(new Redis(process.env.REDIS_URL), { prefix: 'tollgate' })
 */
export class RedisCacheStore implements CacheStore {
  readonly #redis: RedisCacheClient
  readonly #namespace: string
  readonly #index: string
  readonly #batch: number
  readonly #clock: Clock

  constructor(redis: RedisCacheClient, options: RedisCacheStoreOptions = {}) {
    const prefix = options.prefix ?? 'tollgate'
    this.#redis = redis
    this.#namespace = `${prefix}:cache:`
    this.#index = `${prefix}:cache-index`
    this.#batch = options.purgeBatch ?? 500
    this.#clock = options.clock ?? systemClock
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    let value: Buffer | null
    try {
      value = await this.#redis.getBuffer(this.#namespace + key)
    } catch (cause) {
      throw new Error('RedisCacheStore: get failed', { cause })
    }
    return value === null ? undefined : decodeRecord(value)
  }

  async set(key: string, record: CacheRecord, ttlMs: number): Promise<void> {
    const ttl = Math.ceil(ttlMs)
    if (ttl <= 0) return void (await this.delete(key))
    const now = this.#clock.now()
    const results = await this.#redis
      .multi()
      .set(this.#namespace + key, encodeRecord(record), 'PX', ttl)
      .zremrangebyscore(this.#index, '-inf', now)
      .zadd(this.#index, now + ttl, key)
      // NX gives a fresh index a TTL (GT alone treats "no TTL" as infinite and would never set one).
      .pexpire(this.#index, ttl, 'NX')
      .pexpire(this.#index, ttl, 'GT')
      .exec()
    check(results, 'set')
  }

  async delete(key: string): Promise<boolean> {
    const results = await this.#redis
      .multi()
      .unlink(this.#namespace + key)
      .zrem(this.#index, key)
      .exec()
    return check(results, 'delete')[0] === 1
  }

  async purge(prefix = ''): Promise<number> {
    let removed = 0
    let cursor = '0'
    const pattern = `${escapeGlob(prefix)}*`
    do {
      const [next, flat] = await this.#redis.zscan(this.#index, cursor, 'MATCH', pattern, 'COUNT', this.#batch)
      cursor = next
      // ZSCAN answers member, score, member, score, …
      const members: string[] = []
      for (let i = 0; i < flat.length; i += 2) members.push(flat[i]!)
      for (let i = 0; i < members.length; i += this.#batch) {
        const chunk = members.slice(i, i + this.#batch)
        const results = await this.#redis
          .multi()
          .unlink(...chunk.map((m) => this.#namespace + m))
          .zrem(this.#index, ...chunk)
          .exec()
        removed += Number(check(results, 'purge')[0])
      }
    } while (cursor !== '0')
    return removed
  }

  async size(): Promise<number> {
    const results = await this.#redis.multi().zremrangebyscore(this.#index, '-inf', this.#clock.now()).zcard(this.#index).exec()
    return Number(check(results, 'size')[1])
  }

  /** The client belongs to the caller (it is usually shared with other stores): nothing to close here. */
  async close(): Promise<void> {}
}
