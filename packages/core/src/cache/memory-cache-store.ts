// In-process cache store: an LRU bounded in bytes, with per-record TTLs read from an injectable clock.
import { LRUCache } from 'lru-cache'
import { systemClock, type Clock } from '../clock.js'
import { recordBytes, type CacheRecord, type CacheStore } from './store.js'

export interface MemoryCacheStoreOptions {
  /** Upper bound of the records' total size, in bytes. Default 64 MiB. */
  maxSizeBytes?: number
  /** Clock for TTLs (tests pass a fake one). Default: Date.now(). */
  clock?: Clock
}

/**
 * A byte-bounded LRU cache store for one gateway process. Evicts least recently used records when full;
 * a record larger than the whole bound is not stored.
 * @example
 * const store = new MemoryCacheStore({ maxSizeBytes: 16 * 1024 * 1024 })
 */
export class MemoryCacheStore implements CacheStore {
  readonly #lru: LRUCache<string, CacheRecord>

  constructor(options: MemoryCacheStoreOptions = {}) {
    const maxSize = options.maxSizeBytes ?? 64 * 1024 * 1024
    if (!Number.isInteger(maxSize) || maxSize <= 0) {
      throw new TypeError(`MemoryCacheStore: options.maxSizeBytes must be a positive integer, got ${String(maxSize)}`)
    }
    const clock = options.clock ?? systemClock
    this.#lru = new LRUCache<string, CacheRecord>({
      maxSize,
      sizeCalculation: (record, key) => recordBytes(key, record),
      // ttlResolution 0: read the clock on every check, with no helper timer left behind.
      ttlResolution: 0,
      perf: { now: () => clock.now() },
    })
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    return this.#lru.get(key)
  }

  async set(key: string, record: CacheRecord, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return void this.#lru.delete(key)
    this.#lru.set(key, record, { ttl: ttlMs })
  }

  async delete(key: string): Promise<boolean> {
    return this.#lru.delete(key)
  }

  async purge(prefix?: string): Promise<number> {
    this.#lru.purgeStale()
    if (prefix === undefined || prefix === '') {
      const count = this.#lru.size
      this.#lru.clear()
      return count
    }
    const doomed: string[] = []
    for (const key of this.#lru.keys()) if (key.startsWith(prefix)) doomed.push(key)
    for (const key of doomed) this.#lru.delete(key)
    return doomed.length
  }

  async size(): Promise<number> {
    return this.entries
  }

  /** Records held now (what size() resolves to), read synchronously. */
  get entries(): number {
    this.#lru.purgeStale()
    return this.#lru.size
  }

  /** Total size of the records held, in bytes (what `maxSizeBytes` bounds). */
  get bytes(): number {
    return this.#lru.calculatedSize
  }

  async close(): Promise<void> {
    this.#lru.clear()
  }
}
