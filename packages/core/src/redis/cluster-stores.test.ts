// Every shared store on a real 3-master Redis Cluster, through two gateways with default options.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { APIGateway } from '../gateway.js'
import { RedisCacheStore } from '../cache/redis-cache-store.js'
import { RedisStore } from '../limiter/store/redis-store.js'
import { RateLimitAlgorithm } from '../limiter/types.js'
import { UpstreamGovernor } from '../upstream-limits/governor.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js'
import { redisAvailable } from '../testing/redis-server.js'
import { createRedisConnection, type RedisClient } from './client-factory.js'

const silent = { warn() {}, info() {} }

describe.skipIf(!redisAvailable())('shared stores on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle
  const h = createHarness()
  const clients: RedisClient[] = []
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 })
  }, 30_000)
  afterEach(() => h.close())
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()))
    await cluster?.close()
  })
  const clusterClient = async (): Promise<RedisClient> => {
    const client = createRedisConnection(
      { kind: 'cluster', nodes: cluster.startupNodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })), auth: {} },
      { logger: silent },
    )
    clients.push(client)
    await new Promise((resolve) => client.once('ready', resolve))
    return client
  }
  /** Two gateways on the cluster, default options except what the test names. */
  const twoGateways = async (setup: (gateway: APIGateway) => void, keyPrefix: string) => {
    const options = { redis: { cluster: cluster.startupNodes }, keyPrefix, adminToken: 'admin-token-0123456789' }
    const a = await h.gateway(setup, options)
    const b = await h.gateway(setup, options)
    await Promise.all([a.gateway.ready(), b.gateway.ready()])
    return [a, b] as const
  }

  it('rate limits are exact across 2 gateways: limit 50, 200 requests → exactly 50 admitted', async () => {
    const upstream = await h.upstream()
    const [a, b] = await twoGateways(
      (g) => g.registerRoute('/api', upstream.url, { rateLimit: { requestsPerMinute: 50 } }),
      `rl${Date.now()}`,
    )
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => rawRequest((i % 2 ? a : b).url, `/api/x${i}`)))
    expect(answers.filter((r) => r.status === 200)).toHaveLength(50)
    expect(answers.filter((r) => r.status === 429)).toHaveLength(150)
    expect(a.gateway.health()).toMatchObject({ status: 'ok', stores: { rate_limit: { status: 'up', fallbackDecisions: 0 } } })
  })

  it('API keys: created on A validate on B, revocation reaches B within cacheTtlMs, rotate, list returns all', async () => {
    const upstream = await h.upstream()
    const [a, b] = await twoGateways((g) => g.registerRoute('/api', upstream.url, { requireAuth: true }), `k${Date.now()}`)
    const issued = await Promise.all(Array.from({ length: 12 }, (_, i) => a.gateway.apiKeyManager.createApiKeyWithId(`app-${i}`)))
    for (const { key, id } of issued) expect((await b.gateway.apiKeyManager.validateApiKey(key))?.id).toBe(id)
    expect((await rawRequest(b.url, '/api/x', { headers: { 'x-api-key': issued[0]!.key } })).status).toBe(200)
    const listed = await b.gateway.apiKeyManager.listApiKeys()
    expect(listed.map((k) => k.id).sort()).toEqual(issued.map((k) => k.id).sort())

    const fresh = await a.gateway.apiKeyManager.createApiKeyWithId('to-rotate')
    const rotated = await a.gateway.apiKeyManager.rotateApiKey(fresh.id)
    expect((await b.gateway.apiKeyManager.validateApiKey(rotated!))?.id).toBe(fresh.id)
    expect(await b.gateway.apiKeyManager.validateApiKey(fresh.key)).toBeNull()

    expect(await a.gateway.apiKeyManager.revokeApiKey(issued[0]!.id)).toBe(true)
    const revokedAt = Date.now()
    while ((await rawRequest(b.url, '/api/x', { headers: { 'x-api-key': issued[0]!.key } })).status === 200) {
      expect(Date.now() - revokedAt).toBeLessThan(b.gateway.apiKeyManager.cacheTtlMs + 2_000)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect((await rawRequest(b.url, '/api/x', { headers: { 'x-api-key': issued[0]!.key } })).status).toBe(401)
    // Through the admin API too: a key created on B is listed by A.
    const created = await rawRequest(b.url, '/_admin/keys', {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'via-admin' }),
    })
    expect(created.status).toBe(201)
    const names = (await a.gateway.apiKeyManager.listApiKeys()).map((k) => k.name)
    expect(names).toContain('via-admin')
    expect(names).toHaveLength(14)
  })

  it('cache entries are shared between gateways and purged by prefix on every master', async () => {
    const upstream = await h.upstream()
    const keyPrefix = `c${Date.now()}`
    const [a, b] = await twoGateways((g) => g.registerRoute('/api', upstream.url, { cacheTtl: 60 }), keyPrefix)
    const paths = Array.from({ length: 30 }, (_, i) => `/api/${i % 2 ? 'users' : 'orders'}/${i}`)
    // One Host for both (it is part of the cache key), as behind one load balancer.
    const get = (url: string, path: string) => rawRequest(url, path, { headers: { host: 'api.example' } })
    for (const path of paths) expect((await get(a.url, path)).headers['x-cache']).toBe('MISS')
    // The store write follows each response: give it a moment to land.
    const store = new RedisCacheStore(await clusterClient(), { prefix: keyPrefix })
    for (let tries = 0; (await store.size()) < 30; tries++) {
      expect(tries).toBeLessThan(100)
      await new Promise((r) => setTimeout(r, 20))
    }
    for (const path of paths) expect((await get(b.url, path)).headers['x-cache']).toBe('HIT')
    const purged = await rawRequest(b.url, '/_admin/cache?prefix=/api/users', {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin-token-0123456789' },
    })
    expect(purged.json()).toEqual({ purged: 15 })
    expect(await store.size()).toBe(15)
    for (const path of paths) expect((await get(a.url, path)).headers['x-cache']).toBe(path.includes('users') ? 'MISS' : 'HIT')
  })

  it('a decision over two callers (two slots) has no CROSSSLOT: decided key by key, denial reported with its rule; reset() finds every state', async () => {
    const client = await clusterClient()
    const store = new RedisStore({ client, prefix: `x${Date.now()}` })
    expect(await client.call('CLUSTER', 'KEYSLOT', '{tenant-a}')).not.toBe(await client.call('CLUSTER', 'KEYSLOT', '{caller-b}'))
    const rules = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 2, windowMs: 60_000 }]
    const wide = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 100, windowMs: 60_000 }]
    // 'tenant-a' and 'caller-b' hash to different slots: a single script over both would be refused.
    const entries = [
      { key: 'tenant-a', scope: 'route:r', rules: wide, cost: 1 },
      { key: 'caller-b', rules, cost: 1 },
    ]
    expect(await store.consumeMany(entries)).toMatchObject({ allowed: true, remaining: 1, ruleIndex: 1 })
    expect(await store.consumeMany(entries)).toMatchObject({ allowed: true, remaining: 0, ruleIndex: 1 })
    expect(await store.consumeMany(entries)).toMatchObject({ allowed: false, ruleIndex: 1, limit: 2 })
    await store.reset('caller-b')
    expect(await store.consume('caller-b', rules, 1)).toMatchObject({ allowed: true, remaining: 1 })
    // A prefix with its own hash tag puts every key in one slot: the decision stays all-or-nothing across keys.
    const tagged = new RedisStore({ client, prefix: `{t${Date.now()}}` })
    const one = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 1, windowMs: 60_000 }]
    const both = [
      { key: 'tenant-a', scope: 'route:r', rules: wide, cost: 1 },
      { key: 'caller-b', rules: one, cost: 1 },
    ]
    expect(await tagged.consumeMany(both)).toMatchObject({ allowed: true })
    expect(await tagged.consumeMany(both)).toMatchObject({ allowed: false, ruleIndex: 1 })
    expect(await tagged.consumeMany([both[0]!])).toMatchObject({ allowed: true, remaining: 98 })
  })

  it('upstream limits share the budget, the AIMD rate and the pause across instances on the cluster', async () => {
    const prefix = `u${Date.now()}`
    const [ra, rb] = [await clusterClient(), await clusterClient()]
    const budget = { key: 'https://api.example|anonymous', prefix, budget: { requestsPerSecond: 10, burstSize: 1 } }
    const a = new UpstreamGovernor({ ...budget, redis: ra })
    const b = new UpstreamGovernor({ ...budget, redis: rb })
    try {
      const started = Date.now()
      await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).acquire({ callerId: `c${i}` })))
      expect(Date.now() - started).toBeGreaterThanOrEqual(450) // 6 units at 10/s, burst 1: shared, not 2 × 10/s
      a.observe({ status: 429, headers: { 'retry-after': '1' } })
      await new Promise((r) => setTimeout(r, 50))
      const pausedFrom = Date.now()
      await b.acquire({ callerId: 'after-pause' })
      expect(Date.now() - pausedFrom).toBeGreaterThanOrEqual(800)
    } finally {
      a.close()
      b.close()
    }
    const adaptive = {
      key: 'adaptive',
      prefix,
      adaptive: { decrease: 0.5, minRate: 1, maxRate: 64, episodeMs: 1_000 },
      initialRatePerSecond: 32,
    }
    const c = new UpstreamGovernor({ ...adaptive, redis: ra })
    const d = new UpstreamGovernor({ ...adaptive, redis: rb })
    try {
      c.observe({ status: 503, headers: { 'retry-after': '0' } })
      await new Promise((r) => setTimeout(r, 50))
      d.observe({ status: 429, headers: { 'retry-after': '0' } }) // same episode: no second cut
      await new Promise((r) => setTimeout(r, 50))
      expect(d.rate().ratePerSecond).toBe(16)
      expect(Number(await ra.hget(`${prefix}:upstream:{adaptive}:rate`, 'rate'))).toBe(16)
    } finally {
      c.close()
      d.close()
    }
  })

  it('after mixed traffic every master holds a share of the keys (none over 60%)', async () => {
    const before = await cluster.keyCounts()
    const upstream = await h.upstream()
    const [a, b] = await twoGateways((g) => {
      g.registerRoute('/limited', upstream.url, { rateLimit: { requestsPerMinute: 1_000 } })
      g.registerRoute('/cached', upstream.url, { cacheTtl: 60 })
    }, `m${Date.now()}`)
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.gateway.apiKeyManager.createApiKey(`mix-${i}`)))
    const keys = await Promise.all(Array.from({ length: 40 }, (_, i) => b.gateway.apiKeyManager.createApiKey(`caller-${i}`)))
    await Promise.all(keys.map((key, i) => rawRequest((i % 2 ? a : b).url, `/limited/${i}`, { headers: { 'x-api-key': key } })))
    await Promise.all(Array.from({ length: 60 }, (_, i) => rawRequest((i % 2 ? a : b).url, `/cached/item/${i}`)))
    const after = await cluster.keyCounts()
    const added = [...after].map(([port, count]) => count - (before.get(port) ?? 0))
    const total = added.reduce((sum, n) => sum + n, 0)
    expect(total).toBeGreaterThan(150)
    for (const share of added) {
      expect(share).toBeGreaterThan(0)
      expect(share / total).toBeLessThanOrEqual(0.6)
    }
  })
})
