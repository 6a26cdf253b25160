// One suite run against every CacheStore (memory and Redis), plus what only one of them does.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useRedis } from '../testing/redis-fixture.js'
import { redisAvailable } from '../testing/redis-server.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import { cacheSizeGauge } from './size-gauge.js'
import { RedisCacheStore } from './redis-cache-store.js'
import { decodeRecord, encodeRecord, type CacheRecord, type CacheStore } from './store.js'

interface StoreFixture {
  store: CacheStore
  /** Moves the store's time on: fake for memory, real (short) for Redis. */
  advance(ms: number): Promise<void>
  cleanup(): Promise<void>
}

const response = (body: string | Uint8Array, status = 200): CacheRecord => ({
  meta: { kind: 'response', status, headers: [['content-type', 'text/plain']], storedAt: 1, freshUntil: 2, staleUntil: 3 },
  body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
})

const text = (record: CacheRecord | undefined): string | undefined =>
  record === undefined ? undefined : new TextDecoder().decode(record.body)

const describeCacheStore = (name: string, make: () => Promise<StoreFixture>): void => {
  describe(`${name} cache store`, () => {
    let fixture: StoreFixture
    let store: CacheStore
    beforeEach(async () => {
      fixture = await make()
      store = fixture.store
    })
    afterEach(async () => {
      await store.close()
      await fixture.cleanup()
    })

    it('stores, reads and deletes a record', async () => {
      expect(await store.get('/a?|GET')).toBeUndefined()
      await store.set('/a?|GET', response('hello'), 60_000)
      const got = await store.get('/a?|GET')
      expect(got?.meta).toEqual(response('hello').meta)
      expect(text(got)).toBe('hello')
      expect(await store.delete('/a?|GET')).toBe(true)
      expect(await store.delete('/a?|GET')).toBe(false)
      expect(await store.get('/a?|GET')).toBeUndefined()
    })

    it('keeps binary bodies byte for byte', async () => {
      const bytes = new Uint8Array(4096).map((_, i) => (i * 37) % 256)
      await store.set('bin', response(bytes), 60_000)
      expect(Buffer.from((await store.get('bin'))!.body).equals(Buffer.from(bytes))).toBe(true)
    })

    it('stores vary records', async () => {
      await store.set('v', { meta: { kind: 'vary', headers: ['accept-language'] }, body: new Uint8Array(0) }, 60_000)
      expect((await store.get('v'))?.meta).toEqual({ kind: 'vary', headers: ['accept-language'] })
    })

    it('drops a record after its TTL', async () => {
      await store.set('short', response('x'), 100)
      await store.set('long', response('y'), 60_000)
      await fixture.advance(250)
      expect(await store.get('short')).toBeUndefined()
      expect(text(await store.get('long'))).toBe('y')
      expect(await store.size()).toBe(1)
    })

    it('purges by key prefix and counts what it removed', async () => {
      for (const key of ['/api/users?|1', '/api/users/7?|1', '/api/users/7?|2', '/api/usersX?|1', '/other?|1']) {
        await store.set(key, response(key), 60_000)
      }
      expect(await store.size()).toBe(5)
      expect(await store.purge('/api/users/')).toBe(2)
      expect(await store.get('/api/users/7?|1')).toBeUndefined()
      expect(text(await store.get('/api/users?|1'))).toBe('/api/users?|1')
      expect(await store.purge('/nothing')).toBe(0)
      expect(await store.purge()).toBe(3)
      expect(await store.size()).toBe(0)
    })

    it('purges keys holding glob characters literally', async () => {
      await store.set('/a*b?|1', response('1'), 60_000)
      await store.set('/a-b?|1', response('2'), 60_000)
      expect(await store.purge('/a*')).toBe(1)
      expect(text(await store.get('/a-b?|1'))).toBe('2')
    })
  })
}

describe('record codec', () => {
  it('round-trips and rejects malformed values', () => {
    const record = response(new Uint8Array([0, 255, 1]))
    const decoded = decodeRecord(encodeRecord(record))
    expect(decoded?.meta).toEqual(record.meta)
    expect([...decoded!.body]).toEqual([0, 255, 1])
    expect(decodeRecord(Buffer.from([0, 0]))).toBeUndefined()
    expect(decodeRecord(Buffer.from([0, 0, 0, 99, 1]))).toBeUndefined()
    expect(decodeRecord(Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{}')]))).toBeUndefined()
  })
})

describeCacheStore('memory', async () => {
  let now = Date.UTC(2026, 0, 1)
  return {
    store: new MemoryCacheStore({ clock: { now: () => now } }),
    advance: async (ms) => void (now += ms),
    cleanup: async () => {},
  }
})

describe('MemoryCacheStore', () => {
  it('stays within its byte bound, evicting the least recently used', async () => {
    const store = new MemoryCacheStore({ maxSizeBytes: 10_000 })
    for (let i = 0; i < 10; i++) await store.set(`k${i}`, response(new Uint8Array(2_000)), 60_000)
    expect(store.bytes).toBeLessThanOrEqual(10_000)
    expect(await store.get('k9')).toBeDefined()
    expect(await store.get('k0')).toBeUndefined()
    // A record larger than the whole bound is not stored.
    await store.set('huge', response(new Uint8Array(20_000)), 60_000)
    expect(await store.get('huge')).toBeUndefined()
  })

  it('rejects a bad bound naming the option', () => {
    expect(() => new MemoryCacheStore({ maxSizeBytes: 0 })).toThrow(/maxSizeBytes/)
  })
})

describe.skipIf(!redisAvailable())('Redis cache store', () => {
  const db = useRedis()

  describeCacheStore('redis', async () => {
    const prefix = `t-${randomUUID()}`
    return {
      store: new RedisCacheStore(db.redis, { prefix, purgeBatch: 2 }),
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      cleanup: async () => void (await new RedisCacheStore(db.redis, { prefix }).purge()),
    }
  })

  it('writes the value and its TTL in one SET PX, under the namespace', async () => {
    const prefix = `t-${randomUUID()}`
    const store = new RedisCacheStore(db.redis, { prefix })
    await store.set('/x?|1', response('x'), 5_000)
    const ttl = await db.redis.pttl(`${prefix}:cache:/x?|1`)
    expect(ttl).toBeGreaterThan(4_000)
    expect(ttl).toBeLessThanOrEqual(5_000)
    expect(await db.redis.zcard(`${prefix}:cache-index`)).toBe(1)
    expect(await store.purge()).toBe(1)
    expect(await db.redis.exists(`${prefix}:cache:/x?|1`, `${prefix}:cache-index`)).toBe(0)
  })

  it('treats a foreign value as a miss', async () => {
    const prefix = `t-${randomUUID()}`
    await db.redis.set(`${prefix}:cache:junk`, 'not a record')
    expect(await new RedisCacheStore(db.redis, { prefix }).get('junk')).toBeUndefined()
    await db.redis.del(`${prefix}:cache:junk`)
  })

  it('wraps client faults in an Error with a cause', async () => {
    const broken = new Redis(db.server.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
    const store = new RedisCacheStore(broken)
    const error = await store.get('x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/RedisCacheStore: get failed/)
    expect((error as Error).cause).toBeDefined()
    broken.disconnect()
  })
})

describe('cacheSizeGauge', () => {
  it('reads the memory store exactly and a remote store in the background', async () => {
    const memory = new MemoryCacheStore()
    const exact = cacheSizeGauge(memory)
    await memory.set('a', response('a'), 60_000)
    expect(exact()).toBe(1)

    let now = 0
    let sizes = 0
    const remote: CacheStore = Object.assign(Object.create(null) as CacheStore, {
      size: async () => ++sizes * 10,
    })
    const gauge = cacheSizeGauge(remote, { refreshMs: 1_000, clock: { now: () => now } })
    expect(gauge()).toBe(0)
    await Promise.resolve()
    await Promise.resolve()
    expect(gauge()).toBe(10)
    now = 500
    expect(gauge()).toBe(10)
    now = 1_500
    gauge()
    await new Promise((r) => setImmediate(r))
    expect(gauge()).toBe(20)
    expect(sizes).toBe(2)
  })
})
