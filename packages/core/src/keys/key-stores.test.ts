// One suite run against every APIKeyStore (memory, file, Redis), store contract and manager behaviour alike.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../clock.js'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js'
import { APIKeyManager } from './api-key-manager.js'
import { FileKeyStore } from './file-key-store.js'
import { MemoryKeyStore } from './memory-key-store.js'
import { DELETE_SCRIPT, PUT_SCRIPT, RedisKeyStore, UPDATE_SCRIPT } from './redis-key-store.js'
import type { APIKeyRecord, APIKeyStore } from './types.js'

interface StoreFixture {
  store: APIKeyStore
  /** A fresh store over the same data, as after a restart; undefined when the store does not persist. */
  reopen: (() => Promise<APIKeyStore>) | undefined
  cleanup(): Promise<void>
}

const T0 = Date.UTC(2026, 0, 1)

const testClock = (): Clock & { advance(ms: number): void } => {
  let now = T0
  return { now: () => now, advance: (ms) => void (now += ms) }
}

const record = (id: string, extra: Partial<APIKeyRecord> = {}): APIKeyRecord => ({
  id,
  name: `app ${id}`,
  hash: 'ab'.repeat(32),
  createdAt: T0,
  ...extra,
})

/** The shared contract: every store must pass all of it. */
const describeKeyStore = (name: string, make: () => Promise<StoreFixture>): void => {
  describe(`${name} key store`, () => {
    let fixture: StoreFixture
    let store: APIKeyStore
    let clock: ReturnType<typeof testClock>
    let manager: APIKeyManager

    beforeEach(async () => {
      fixture = await make()
      store = fixture.store
      clock = testClock()
      manager = new APIKeyManager({ store, clock, serverSecret: 'test-secret' })
    })
    afterEach(async () => {
      await store.close()
      await fixture.cleanup()
    })

    it('puts, gets and returns copies', async () => {
      const stored = record('a1', { rateLimit: { requestsPerMinute: 10 }, metadata: { team: 'x' }, tier: 'basic' })
      await store.put(stored)
      expect(await store.get('a1')).toEqual(stored)
      expect(await store.get('missing')).toBeUndefined()
      const copy = (await store.get('a1'))!
      ;(copy.metadata as Record<string, unknown>).team = 'changed'
      expect((await store.get('a1'))!.metadata).toEqual({ team: 'x' })
    })

    it('updates named fields only and removes fields set to undefined', async () => {
      await store.put(record('a1', { tier: 'basic', expiresAt: T0 + 1000 }))
      const updated = await store.update('a1', { revokedAt: T0 + 5, expiresAt: undefined })
      expect(updated).toEqual(record('a1', { tier: 'basic', revokedAt: T0 + 5 }))
      expect(await store.get('a1')).toEqual(updated)
      expect(await store.update('missing', { revokedAt: 1 })).toBeUndefined()
      expect(await store.get('missing')).toBeUndefined()
    })

    it('deletes and lists', async () => {
      await store.put(record('a1'))
      await store.put(record('a2', { createdAt: T0 + 1 }))
      expect((await store.list()).map((r) => r.id).sort()).toEqual(['a1', 'a2'])
      expect(await store.delete('a1')).toBe(true)
      expect(await store.delete('a1')).toBe(false)
      expect((await store.list()).map((r) => r.id)).toEqual(['a2'])
    })

    it('keeps every one of many concurrent writes', async () => {
      const ids = Array.from({ length: 25 }, (_, i) => `c${i}`)
      await Promise.all(ids.map((id) => store.put(record(id))))
      expect((await store.list()).map((r) => r.id).sort()).toEqual([...ids].sort())
    })

    it('creates and validates a key', async () => {
      const { id, key, info } = await manager.createApiKeyWithId(
        'Premium',
        { requestsPerMinute: 1000 },
        { tier: 'premium', metadata: { owner: 'ann' } },
      )
      expect(info).toEqual({
        id,
        name: 'Premium',
        status: 'active',
        createdAt: T0,
        rateLimit: { requestsPerMinute: 1000 },
        tier: 'premium',
        metadata: { owner: 'ann' },
      })
      expect(await manager.validateApiKey(key)).toEqual(info)
      // The same id with another secret is a well-formed key that must not pass.
      expect(await manager.validateApiKey(manager.format.build(id))).toBeNull()
      const stored = (await store.get(id))!
      expect(JSON.stringify(stored)).not.toContain(key.split('_')[2])
    })

    it('revokes a key at once on the instance that revokes it', async () => {
      const { id, key } = await manager.createApiKeyWithId('App')
      expect(await manager.validateApiKey(key)).not.toBeNull()
      expect(await manager.revokeApiKey(id)).toBe(true)
      expect(await manager.validateApiKey(key)).toBeNull()
      expect((await manager.getApiKey(id))!.status).toBe('revoked')
      expect(await manager.revokeApiKey(id)).toBe(true)
      expect(await manager.revokeApiKey('nope')).toBe(false)
      expect(await manager.rotateApiKey(id)).toBeNull()
    })

    it('rotates a key: new secret, same id and limits, old secret stops working', async () => {
      const { id, key } = await manager.createApiKeyWithId('App', { requestsPerSecond: 5 }, { tier: 'basic' })
      expect(await manager.validateApiKey(key)).not.toBeNull()
      clock.advance(10)
      const rotated = await manager.rotateApiKey(id)
      expect(rotated).not.toBeNull()
      expect(rotated).not.toBe(key)
      expect(manager.format.parse(rotated!)!.id).toBe(id)
      expect(await manager.validateApiKey(key)).toBeNull()
      const info = await manager.validateApiKey(rotated!)
      expect(info).toMatchObject({ id, name: 'App', rateLimit: { requestsPerSecond: 5 }, tier: 'basic', rotatedAt: T0 + 10 })
      expect(await manager.rotateApiKey('nope')).toBeNull()
    })

    it('expires a key at its expiry time', async () => {
      const key = await manager.createApiKey('Temp', undefined, { expiresAt: new Date(T0 + 60_000) })
      expect(await manager.validateApiKey(key)).not.toBeNull()
      clock.advance(59_999)
      expect(await manager.validateApiKey(key)).not.toBeNull()
      clock.advance(1)
      expect(await manager.validateApiKey(key)).toBeNull()
      const [info] = await manager.listApiKeys()
      expect(info!.status).toBe('expired')
    })

    it('lists keys without secrets or digests', async () => {
      const keys = [await manager.createApiKey('One'), await manager.createApiKey('Two')]
      const listed = await manager.listApiKeys()
      expect(listed.map((k) => k.name).sort()).toEqual(['One', 'Two'])
      const text = JSON.stringify(listed)
      expect(text).not.toContain('hash')
      for (const key of keys) {
        expect(text).not.toContain(key)
        expect(text).not.toContain(key.split('_')[2])
      }
    })

    it('keeps a revoke that races a rotate', async () => {
      const { id, key } = await manager.createApiKeyWithId('Race')
      const [revoked, rotated] = await Promise.all([manager.revokeApiKey(id), manager.rotateApiKey(id)])
      expect(revoked).toBe(true)
      expect((await manager.getApiKey(id))!.status).toBe('revoked')
      const fresh = new APIKeyManager({ store, clock, serverSecret: 'test-secret' })
      expect(await fresh.validateApiKey(key)).toBeNull()
      if (rotated) expect(await fresh.validateApiKey(rotated)).toBeNull()
    })

    // The memory store forgets by design; every other store must keep its keys.
    if (name !== 'memory')
      it('keeps keys across a restart', async () => {
        if (!fixture.reopen) throw new Error(`${name} store fixture cannot reopen`)
        const kept = await manager.createApiKeyWithId('Kept', { requestsPerMinute: 7 }, { tier: 'free' })
        const revoked = await manager.createApiKeyWithId('Revoked')
        const rotated = await manager.createApiKeyWithId('Rotated')
        await manager.revokeApiKey(revoked.id)
        const newKey = await manager.rotateApiKey(rotated.id)
        await store.close()

        store = await fixture.reopen()
        const restarted = new APIKeyManager({ store, clock, serverSecret: 'test-secret' })
        expect(await restarted.validateApiKey(kept.key)).toMatchObject({ id: kept.id, rateLimit: { requestsPerMinute: 7 }, tier: 'free' })
        expect(await restarted.validateApiKey(revoked.key)).toBeNull()
        expect(await restarted.validateApiKey(rotated.key)).toBeNull()
        expect(await restarted.validateApiKey(newKey!)).toMatchObject({ id: rotated.id })
        expect((await restarted.listApiKeys()).map((k) => k.name).sort()).toEqual(['Kept', 'Revoked', 'Rotated'])
        // A different server secret cannot validate keys digested under the first one.
        expect(await new APIKeyManager({ store, clock, serverSecret: 'other' }).validateApiKey(kept.key)).toBeNull()
      })
  })
}

describeKeyStore('memory', async () => ({ store: new MemoryKeyStore(), reopen: undefined, cleanup: async () => {} }))

describeKeyStore('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-keys-'))
  const path = join(dir, 'keys.json')
  return {
    store: new FileKeyStore({ path }),
    reopen: () => FileKeyStore.open({ path }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
})

describe.skipIf(!redisAvailable())('redis', () => {
  let server: RedisServerHandle
  const clients: Redis[] = []
  const connect = (): Redis => {
    const client = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 })
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.quit()))
  })
  afterAll(async () => {
    await server?.close()
  })

  describeKeyStore('redis', async () => {
    const prefix = `t-${randomUUID()}`
    return {
      store: new RedisKeyStore({ client: connect(), prefix }),
      reopen: async () => new RedisKeyStore({ client: connect(), prefix }),
      cleanup: async () => {},
    }
  })

  it('precomputes the SHA that SCRIPT LOAD reports for each script', async () => {
    const client = connect()
    for (const script of [PUT_SCRIPT, UPDATE_SCRIPT, DELETE_SCRIPT]) {
      expect(await client.script('LOAD', script.source)).toBe(script.sha)
    }
  })

  it('stores a hash per key under the prefix and an id set, and survives a script flush', async () => {
    const client = connect()
    const prefix = `t-${randomUUID()}`
    const store = new RedisKeyStore({ client, prefix })
    await store.put(record('k1', { tier: 'basic' }))
    expect(await client.hget(`${prefix}:key:k1`, 'tier')).toBe('"basic"')
    expect(await client.smembers(`${prefix}:keys`)).toEqual(['k1'])
    await client.script('FLUSH')
    expect(await store.update('k1', { revokedAt: 5 })).toMatchObject({ id: 'k1', revokedAt: 5 })
    expect(await store.delete('k1')).toBe(true)
    expect(await client.exists(`${prefix}:key:k1`, `${prefix}:keys`)).toBe(0)
  })

  it('drops ids from the set whose record is gone', async () => {
    const client = connect()
    const prefix = `t-${randomUUID()}`
    const store = new RedisKeyStore({ client, prefix })
    await store.put(record('k1'))
    await store.put(record('k2'))
    await client.del(`${prefix}:key:k1`)
    expect((await store.list()).map((r) => r.id)).toEqual(['k2'])
    expect(await client.smembers(`${prefix}:keys`)).toEqual(['k2'])
  })

  it('shares keys between instances; a revoke elsewhere applies within the cache bound', async () => {
    const prefix = `t-${randomUUID()}`
    const clock = testClock()
    const a = new APIKeyManager({ store: new RedisKeyStore({ client: connect(), prefix }), clock, cacheTtlMs: 5_000 })
    const b = new APIKeyManager({ store: new RedisKeyStore({ client: connect(), prefix }), clock, cacheTtlMs: 5_000 })
    const { id, key } = await a.createApiKeyWithId('Shared')
    expect(await b.validateApiKey(key)).toMatchObject({ id })
    expect(await a.revokeApiKey(id)).toBe(true)
    expect(await a.validateApiKey(key)).toBeNull()
    // b trusts its cached lookup for at most cacheTtlMs.
    clock.advance(4_999)
    expect(await b.validateApiKey(key)).not.toBeNull()
    clock.advance(1)
    expect(await b.validateApiKey(key)).toBeNull()
  })
})
