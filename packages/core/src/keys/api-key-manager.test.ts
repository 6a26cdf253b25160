// APIKeyManager: key format, hashing, the validation cache and its bounds, and what it never reveals.
import { createHash } from 'node:crypto'
import FakeTimers from '@sinonjs/fake-timers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../errors.js'
import { DEFAULT_STORE_TIMEOUT_MS } from '../limiter/store/deadline.js'
import { APIKeyManager } from './api-key-manager.js'
import { KEY_SECRET_LENGTH, KeyFormat } from './key-format.js'
import { MemoryKeyStore } from './memory-key-store.js'
import type { APIKeyStore } from './types.js'

/** A memory store that counts lookups and can be made to fail. */
class CountingStore extends MemoryKeyStore {
  gets = 0
  failing = false
  hanging = false
  override async get(id: string) {
    this.gets++
    if (this.failing) throw new Error('connection refused')
    if (this.hanging) return new Promise<undefined>(() => {})
    return super.get(id)
  }
}

describe('APIKeyManager', () => {
  let clock: ReturnType<typeof FakeTimers.install>
  let store: CountingStore
  let manager: APIKeyManager

  beforeEach(() => {
    clock = FakeTimers.install({ now: Date.UTC(2026, 0, 1), toFake: ['Date', 'setTimeout', 'clearTimeout', 'setImmediate', 'performance'] })
    store = new CountingStore()
    manager = new APIKeyManager({ store })
  })
  afterEach(() => {
    clock.uninstall()
  })

  it('issues tg_<id>_<secret>_<checksum> keys with a 190-bit base62 secret, all distinct', async () => {
    const keys = await Promise.all(Array.from({ length: 200 }, (_, i) => manager.createApiKey(`app ${i}`)))
    expect(new Set(keys).size).toBe(200)
    for (const key of keys) {
      expect(key).toMatch(/^tg_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/)
      expect(key).toHaveLength(manager.format.length)
    }
    expect(KEY_SECRET_LENGTH * Math.log2(62)).toBeGreaterThan(128)
    // Every base62 character shows up across 6 400 secret characters: no truncated alphabet.
    expect(new Set(keys.map((k) => k.split('_')[2]).join('')).size).toBe(62)
  })

  it('rejects malformed keys without touching the store', async () => {
    const key = await manager.createApiKey('App')
    store.gets = 0
    manager.clearCache()
    const [prefix, id, secret, checksum] = key.split('_') as [string, string, string, string]
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)
    const malformed = [
      '',
      'not-a-key',
      `xx_${id}_${secret}_${checksum}`,
      `${prefix}_${id}_${secret}_${flip(checksum)}`,
      `${prefix}_${id}_${flip(secret)}_${checksum}`,
      `${prefix}_${flip(id)}_${secret}_${checksum}`,
      `${key}A`,
      key.slice(0, -1),
      `${prefix}_${id}_${secret.slice(0, -1)}+_${checksum}`,
      ` ${key}`,
    ]
    for (const bad of malformed) expect(await manager.validateApiKey(bad)).toBeNull()
    expect(await manager.validateApiKey(123 as unknown as string)).toBeNull()
    expect(store.gets).toBe(0)
    expect(await manager.validateApiKey(key)).not.toBeNull()
    expect(store.gets).toBe(1)
  })

  it('accepts another key prefix and rejects keys of the default one', async () => {
    const custom = new APIKeyManager({ keyPrefix: 'acme' })
    const key = await custom.createApiKey('App')
    expect(key.startsWith('acme_')).toBe(true)
    expect(await custom.validateApiKey(key)).not.toBeNull()
    expect(await custom.validateApiKey(`tg${key.slice(4)}`)).toBeNull()
    expect(() => new APIKeyManager({ keyPrefix: 'Bad_Prefix' })).toThrow(/keyPrefix/)
  })

  it('stores HMAC-SHA256 digests with a server secret, plain SHA-256 without', async () => {
    const plain = await manager.createApiKeyWithId('Plain')
    expect((await store.get(plain.id))!.hash).toBe(createHash('sha256').update(plain.key).digest('hex'))
    expect(manager.keyedDigests).toBe(false)

    const keyed = new APIKeyManager({ store, serverSecret: 's3cret' })
    const hmac = await keyed.createApiKeyWithId('Keyed')
    expect((await store.get(hmac.id))!.hash).not.toBe(createHash('sha256').update(hmac.key).digest('hex'))
    expect(keyed.keyedDigests).toBe(true)
    expect(await keyed.validateApiKey(hmac.key)).not.toBeNull()
    expect(await manager.validateApiKey(hmac.key)).toBeNull()
    expect(() => new APIKeyManager({ serverSecret: '' })).toThrow(/serverSecret/)
  })

  it('serves repeated validations from the cache and refreshes after cacheTtlMs', async () => {
    const key = await manager.createApiKey('App')
    manager.clearCache()
    store.gets = 0
    await Promise.all(Array.from({ length: 10 }, () => manager.validateApiKey(key)))
    expect(store.gets).toBe(1)
    clock.tick(4_999)
    await manager.validateApiKey(key)
    expect(store.gets).toBe(1)
    clock.tick(1)
    await manager.validateApiKey(key)
    expect(store.gets).toBe(2)
  })

  it('remembers unknown ids briefly (negativeCacheTtlMs)', async () => {
    const unknown = new KeyFormat().build('Zzzzzzzzzzzz')
    expect(await manager.validateApiKey(unknown)).toBeNull()
    expect(await manager.validateApiKey(unknown)).toBeNull()
    expect(store.gets).toBe(1)
    clock.tick(1_000)
    expect(await manager.validateApiKey(unknown)).toBeNull()
    expect(store.gets).toBe(2)
  })

  it('applies a revoke made by another instance within cacheTtlMs, a rotate likewise', async () => {
    const other = new APIKeyManager({ store, cacheTtlMs: 2_000 })
    const mine = new APIKeyManager({ store, cacheTtlMs: 2_000 })
    const { id, key } = await other.createApiKeyWithId('Shared')
    expect(await mine.validateApiKey(key)).not.toBeNull()
    const rotated = (await other.rotateApiKey(id))!
    expect(await other.validateApiKey(key)).toBeNull()
    expect(await mine.validateApiKey(key)).not.toBeNull()
    clock.tick(2_000)
    expect(await mine.validateApiKey(key)).toBeNull()
    expect(await mine.validateApiKey(rotated)).not.toBeNull()
    await other.revokeApiKey(id)
    clock.tick(2_000)
    expect(await mine.validateApiKey(rotated)).toBeNull()
  })

  it('with cacheTtlMs 0 asks the store every time', async () => {
    const uncached = new APIKeyManager({ store, cacheTtlMs: 0 })
    const key = await uncached.createApiKey('App')
    store.gets = 0
    await uncached.validateApiKey(key)
    await uncached.validateApiKey(key)
    expect(store.gets).toBe(2)
  })

  it('does not let a lookup that was in flight undo a revoke', async () => {
    const { id, key } = await manager.createApiKeyWithId('App')
    manager.clearCache()
    const inFlight = manager.validateApiKey(key)
    await manager.revokeApiKey(id)
    await inFlight
    expect(await manager.validateApiKey(key)).toBeNull()
  })

  it('validates inputs with the functions it is given, naming the field', async () => {
    const strict = new APIKeyManager({
      validateRateLimit: (value) =>
        (value as { requestsPerMinute?: unknown }).requestsPerMinute === -1 ? 'rateLimit.requestsPerMinute must be positive' : undefined,
      isTier: (name) => ['free', 'premium'].includes(name),
    })
    await expect(strict.createApiKey('')).rejects.toThrow(/name/)
    await expect(strict.createApiKey('A', { requestsPerMinute: -1 })).rejects.toThrow('rateLimit.requestsPerMinute must be positive')
    await expect(strict.createApiKey('A', undefined, { tier: 'gold' })).rejects.toThrow(/tier/)
    await expect(strict.createApiKey('A', undefined, { expiresAt: Number.NaN })).rejects.toThrow(/expiresAt/)
    expect(await strict.createApiKey('A', { requestsPerMinute: 1 }, { tier: 'premium', expiresAt: Date.now() + 1 })).toMatch(/^tg_/)
  })

  it('hands out frozen rate limits and does not share the caller’s objects', async () => {
    const limit = { requestsPerMinute: 10 }
    const key = await manager.createApiKey('App', limit)
    limit.requestsPerMinute = 99
    const info = (await manager.validateApiKey(key))!
    expect(info.rateLimit).toEqual({ requestsPerMinute: 10 })
    expect(Object.isFrozen(info.rateLimit)).toBe(true)
  })

  it('reports a store failure as an error that never contains the key', async () => {
    const key = await manager.createApiKey('App')
    manager.clearCache()
    store.failing = true
    const error = await manager.validateApiKey(key).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(error!.message).toBe('API key store lookup failed')
    expect(JSON.stringify({ message: error!.message, cause: String(error!.cause), stack: error!.stack })).not.toContain(key)
  })

  it('a lookup past the cache waits at most the store deadline, then fails closed with StoreUnavailableError', async () => {
    const key = await manager.createApiKey('App')
    manager.clearCache()
    store.hanging = true
    let outcome: unknown
    void manager.validateApiKey(key).then(
      (info) => (outcome = info),
      (e: unknown) => (outcome = e),
    )
    await clock.tickAsync(DEFAULT_STORE_TIMEOUT_MS - 1)
    expect(outcome).toBeUndefined()
    await clock.tickAsync(1)
    await clock.runToLastAsync() // the deadline's verdict waits one setImmediate
    expect(outcome).toBeInstanceOf(StoreUnavailableError)
    expect(outcome).toMatchObject({ status: 503, code: 'store_unavailable' })
    expect(() => new APIKeyManager({ storeTimeoutMs: 0 })).toThrow(/storeTimeoutMs must be a positive number/)
  })

  it('never writes a key or its secret to the log', async () => {
    const lines: string[] = []
    const logged = new APIKeyManager({ store, logger: { info: (...args: unknown[]) => void lines.push(args.map(String).join(' ')) } })
    const { id, key } = await logged.createApiKeyWithId('Logged App')
    const rotated = (await logged.rotateApiKey(id))!
    await logged.validateApiKey(key)
    await logged.validateApiKey(rotated)
    await logged.revokeApiKey(id)
    expect(lines.length).toBeGreaterThanOrEqual(3)
    expect(lines.join('\n')).toContain(id)
    for (const secret of [key, rotated, key.split('_')[2]!, rotated.split('_')[2]!]) {
      expect(lines.join('\n')).not.toContain(secret)
    }
  })

  it('validateCached answers from the cache only, as validateApiKey would, and never for another secret of the id', async () => {
    const { id, key } = await manager.createApiKeyWithId('App', undefined, { expiresAt: Date.now() + 60_000 })
    manager.clearCache()
    store.gets = 0
    expect(manager.validateCached(key)).toBeUndefined() // not cached: the caller asks validateApiKey
    expect(store.gets).toBe(0)
    await manager.validateApiKey(key)
    const info = manager.validateCached(key)
    expect(info).toEqual(await manager.validateApiKey(key))
    expect(info).toMatchObject({ id, name: 'App', status: 'active' })
    expect(Object.isFrozen(info)).toBe(true)
    expect(manager.validateCached(manager.format.build(id))).toBeNull() // same id, well formed, other secret
    expect(manager.validateCached('tg_not_a_key')).toBeNull()
    expect(store.gets).toBe(1)
    clock.tick(manager.cacheTtlMs)
    expect(manager.validateCached(key)).toBeUndefined() // the entry is stale
    await manager.validateApiKey(key)
    await manager.revokeApiKey(id)
    expect(manager.validateCached(key)).toBeNull()
    const expiring = await manager.createApiKeyWithId('Soon', undefined, { expiresAt: Date.now() + 1_000 })
    expect(manager.validateCached(expiring.key)).toMatchObject({ status: 'active' })
    clock.tick(1_000)
    expect(manager.validateCached(expiring.key)).toBeNull()
  })

  it('closes its store', async () => {
    let closed = false
    const closing: APIKeyStore = Object.assign(new MemoryKeyStore(), { close: async () => void (closed = true) })
    await new APIKeyManager({ store: closing }).close()
    expect(closed).toBe(true)
  })
})
