// DeadlineCacheStore's logic with fake timers: the deadline, one probe while down, one log line per transition.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { captureLogger } from '../testing/gateway-harness.js'
import { StoreTimeoutError } from '../limiter/store/deadline.js'
import { CacheStoreUnavailableError, DeadlineCacheStore } from './deadline-cache-store.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import type { CacheRecord } from './store.js'

const record: CacheRecord = {
  meta: { kind: 'response', status: 200, headers: [], storedAt: 0, freshUntil: 1, staleUntil: 1 },
  body: new Uint8Array([1]),
}

/** A real memory store that can be made to hang, as a paused Redis does. */
const hangable = () => {
  const inner = new MemoryCacheStore()
  let hanging = false
  let calls = 0
  const hang = <T>(answer: () => Promise<T>): Promise<T> => {
    calls++
    return hanging ? new Promise<T>(() => {}) : answer()
  }
  const store = Object.assign(Object.create(inner) as MemoryCacheStore, {
    get: (key: string) => hang(() => inner.get(key)),
    set: (key: string, value: CacheRecord, ttlMs: number) => hang(() => inner.set(key, value, ttlMs)),
  })
  return {
    store,
    calls: () => calls,
    hang: (on: boolean) => void (hanging = on),
  }
}

describe('DeadlineCacheStore', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('times out a hung store, probes it with one read at a time while down, and logs down and up once', async () => {
    const backend = hangable()
    const logger = captureLogger()
    const store = new DeadlineCacheStore(backend.store, { timeoutMs: 100, logger })
    await store.set('a', record, 60_000)
    expect((await store.get('a'))?.body).toEqual(record.body)

    backend.hang(true)
    const late = store.get('a').catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(99)
    expect(store.down).toBe(false)
    await vi.advanceTimersByTimeAsync(5)
    expect(await late).toBeInstanceOf(StoreTimeoutError)
    expect(store.down).toBe(true)

    const before = backend.calls()
    const probe = store.get('a').catch((e: unknown) => e)
    // While one read probes, other reads and every write fail at once without reaching the store.
    await expect(store.get('a')).rejects.toBeInstanceOf(CacheStoreUnavailableError)
    await expect(store.set('b', record, 60_000)).rejects.toBeInstanceOf(CacheStoreUnavailableError)
    expect(backend.calls()).toBe(before + 1)
    await vi.advanceTimersByTimeAsync(105)
    expect(await probe).toBeInstanceOf(StoreTimeoutError)
    await expect(store.set('b', record, 60_000)).rejects.toBeInstanceOf(CacheStoreUnavailableError)

    backend.hang(false)
    expect((await store.get('a'))?.body).toEqual(record.body)
    expect(store.down).toBe(false)
    await store.set('b', record, 60_000)
    expect(logger.lines).toEqual([
      'cache store is down (cache store did not answer within 100 ms): requests go uncached until it answers',
      'cache store is up again: caching resumed',
    ])
  })
})
