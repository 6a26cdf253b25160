// Runtime tier changes on API keys: the most recent assignment wins over the tier a key was created with.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Clock } from '../clock.js'
import type { APIGateway } from '../gateway.js'
import type { GatewayOptions } from '../options.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { useRedis } from '../testing/redis-fixture.js'
import { redisAvailable } from '../testing/redis-server.js'
import { MemoryKeyStore } from './memory-key-store.js'

const TOKEN = 'admin-token-0123456789'
const h = createHarness()
afterEach(() => h.close())

/** A gateway with one route limited only by the caller's tier. */
const start = async (options: GatewayOptions = {}) => {
  const up = await h.upstream()
  return h.gateway((g) => g.registerRoute('/api', up.url), { adminToken: TOKEN, ...options })
}

/** The caller limit that applied to one request with `key` (token bucket capacity: 10 free, 200 premium, 50 basic). */
const limitSeen = async (url: string, key: string): Promise<string | undefined> => {
  const res = await rawRequest(url, '/api/x', { headers: { 'x-api-key': key } })
  return res.headers['x-ratelimit-limit'] as string | undefined
}

const setTierByAdmin = (url: string, id: string, tier: string) =>
  rawRequest(url, `/_admin/clients/${id}/tier`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tier }),
  })

const newKey = async (gateway: APIGateway, tier: string, rateLimit?: unknown) => {
  const issued = await gateway.apiKeyManager.createApiKeyWithId('app', rateLimit, { tier })
  return { id: issued.id, key: issued.key }
}

describe('runtime tier changes (memory stores)', () => {
  it('POST /_admin/clients/:id/tier moves a key created as free to premium at once, and says what applies', async () => {
    const { gateway, url } = await start()
    const { id, key } = await newKey(gateway, 'free')
    expect(await limitSeen(url, key)).toBe('10')
    const res = await setTierByAdmin(url, id, 'premium')
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({
      id,
      tier: 'premium',
      scope: 'api_key',
      applies: 'tier',
      rateLimit: { requestsPerSecond: 20, burstSize: 200, algorithm: 'token_bucket' },
    })
    expect(await limitSeen(url, key)).toBe('200')
    expect((await gateway.apiKeyManager.getApiKey(id))?.tier).toBe('premium')
  })

  it("the issue's case: 30 requests on a free key lose 20; after the change to premium the next 30 all pass", async () => {
    let now = Date.UTC(2026, 0, 1)
    const { gateway, url } = await start({ clock: { now: () => now } })
    const { id, key } = await newKey(gateway, 'free')
    const burst = async () => {
      const statuses = await Promise.all(
        Array.from({ length: 30 }, () => rawRequest(url, '/api/x', { headers: { 'x-api-key': key } }).then((r) => r.status)),
      )
      return statuses.filter((s) => s === 429).length
    }
    expect(await burst()).toBe(20)
    await gateway.setClientTier(id, 'premium')
    now += 2_000 // the bucket refills at premium's 20/s: 40 tokens, where free would give 2
    expect(await burst()).toBe(0)
  })

  it('setClientTier on a key id: the most recent assignment wins, and a client IP is its own assignment', async () => {
    const { gateway, url } = await start()
    const { id, key } = await newKey(gateway, 'premium')
    await expect(gateway.setClientTier(id, 'free')).resolves.toMatchObject({ scope: 'api_key', tier: 'free' })
    expect(await limitSeen(url, key)).toBe('10')
    await gateway.setClientTier(id, 'basic')
    expect(await limitSeen(url, key)).toBe('50')
    await expect(gateway.setClientTier('127.0.0.1', 'enterprise')).resolves.toMatchObject({ scope: 'client', tier: 'enterprise' })
    expect(await limitSeen(url, key)).toBe('50') // the key's own assignment, not its IP's
    expect((await rawRequest(url, '/api/anonymous')).headers['x-ratelimit-limit']).toBe('1000')
  })

  it("a key's own rateLimit still wins over its tier, and the answer says so", async () => {
    const { gateway, url } = await start()
    const { id } = await newKey(gateway, 'free', { requestsPerMinute: 7 })
    const res = await setTierByAdmin(url, id, 'premium')
    expect(res.json()).toMatchObject({ scope: 'api_key', applies: 'key_rate_limit', rateLimit: { requestsPerMinute: 7 } })
  })

  it('another instance sharing the key store applies the change within its key-cache TTL, not before', async () => {
    let now = Date.UTC(2026, 0, 1)
    const clock: Clock = { now: () => now }
    const store = new MemoryKeyStore()
    const a = await start({ clock, apiKeys: { store, cacheTtlMs: 5_000 } })
    const b = await start({ clock, apiKeys: { store, cacheTtlMs: 5_000 } })
    const { id, key } = await newKey(a.gateway, 'free')
    expect(await limitSeen(b.url, key)).toBe('10') // b caches the record as free
    expect((await setTierByAdmin(a.url, id, 'premium')).status).toBe(200)
    expect(await limitSeen(a.url, key)).toBe('200')
    now += 4_000
    expect(await limitSeen(b.url, key)).toBe('10')
    now += 1_001
    expect(await limitSeen(b.url, key)).toBe('200')
  })

  it('rejects an unknown tier with a 400 naming the field', async () => {
    const { gateway, url } = await start()
    const { id } = await newKey(gateway, 'free')
    const res = await setTierByAdmin(url, id, 'gold')
    expect([res.status, res.json().error.code]).toEqual([400, 'bad_request'])
    expect(res.json().error.message).toMatch(/^tier/)
    expect(() => gateway.setClientTier(id, 'gold')).toThrow(/tier must be one of/)
  })
})

describe.skipIf(!redisAvailable())('runtime tier changes (Redis)', () => {
  const fixture = useRedis()

  it('a tier set through one instance reaches another within the key-cache TTL', async () => {
    const options = { redisUrl: fixture.server.url, apiKeys: { cacheTtlMs: 300 } }
    const a = await start(options)
    const b = await start(options)
    const { id, key } = await newKey(a.gateway, 'free')
    expect(await limitSeen(b.url, key)).toBe('10')
    const res = await setTierByAdmin(a.url, id, 'premium')
    expect(res.json()).toMatchObject({ scope: 'api_key', tier: 'premium' })
    expect(await limitSeen(a.url, key)).toBe('200')
    await vi.waitFor(async () => expect(await limitSeen(b.url, key)).toBe('200'), { timeout: 5_000, interval: 50 })
    expect((await b.gateway.apiKeyManager.getApiKey(id))?.tier).toBe('premium')
  })
})
