// Wraps any cache store with the shared store deadline, so a slow or paused store costs a request a bounded time.
import type { Logger } from '../options.js'
import { DEFAULT_STORE_TIMEOUT_MS, withStoreDeadline } from '../limiter/store/deadline.js'
import { StoreError } from '../limiter/store/store-error.js'
import type { CacheRecord, CacheStore } from './store.js'

export interface DeadlineCacheStoreOptions {
  /** Longest a get/set/delete/size waits for the store, in ms. Default DEFAULT_STORE_TIMEOUT_MS. */
  timeoutMs?: number
  /** Receives one "down" line when the store stops answering and one "up" line when it answers again. */
  logger?: Pick<Logger, 'warn' | 'info'>
  /** Name in the log lines. Default "cache store". */
  name?: string
}

/** The store is down and another call is already probing it: answered at once instead of waiting too. */
export class CacheStoreUnavailableError extends StoreError {}

/**
 * A cache store whose calls fail after `timeoutMs` instead of waiting for the store (the cache stage then treats
 * a read as a miss and skips the write). While the store is down, one read at a time probes it under the deadline
 * and every other call fails at once, so an outage costs each request at most one deadline. Purge (an admin operation
 * that walks the whole index) is passed through without a deadline.
 * @example
 * const store = new DeadlineCacheStore(new RedisCacheStore(redis), { timeoutMs: 250, logger })
 */
export class DeadlineCacheStore implements CacheStore {
  readonly #inner: CacheStore
  readonly #timeoutMs: number
  readonly #logger: DeadlineCacheStoreOptions['logger']
  readonly #name: string
  #down = false
  #probing = false

  constructor(inner: CacheStore, options: DeadlineCacheStoreOptions = {}) {
    this.#inner = inner
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
    this.#logger = options.logger
    this.#name = options.name ?? 'cache store'
  }

  /** True between a failed call and the next call that succeeds. */
  get down(): boolean {
    return this.#down
  }

  get(key: string): Promise<CacheRecord | undefined> {
    return this.#call(() => this.#inner.get(key), true)
  }

  set(key: string, record: CacheRecord, ttlMs: number): Promise<void> {
    return this.#call(() => this.#inner.set(key, record, ttlMs), false)
  }

  delete(key: string): Promise<boolean> {
    return this.#call(() => this.#inner.delete(key), false)
  }

  purge(prefix?: string): Promise<number> {
    return this.#inner.purge(prefix)
  }

  size(): Promise<number> {
    return this.#call(() => this.#inner.size(), true)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }

  /** Only reads probe a store that is down: a request's write then fails at once, so it pays one deadline at most. */
  async #call<T>(operation: () => Promise<T>, mayProbe: boolean): Promise<T> {
    const probe = this.#down
    if (probe) {
      if (this.#probing || !mayProbe) throw new CacheStoreUnavailableError(`${this.#name} is down`)
      this.#probing = true
    }
    try {
      const value = await withStoreDeadline(operation(), this.#timeoutMs, this.#name)
      if (this.#down) {
        this.#down = false
        this.#logger?.info(`${this.#name} is up again: caching resumed`)
      }
      return value
    } catch (error) {
      if (!this.#down) {
        this.#down = true
        // The message only: client stacks and internals stay out of the log.
        const reason = error instanceof Error ? error.message : String(error)
        this.#logger?.warn(`${this.#name} is down (${reason}): requests go uncached until it answers`)
      }
      throw error
    } finally {
      if (probe) this.#probing = false
    }
  }
}
