// Ready before use and a bounded wait on a sick Redis: boot-time keys, Redis down, Redis paused (CLIENT PAUSE).
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../../errors.js'
import { APIGateway } from '../../gateway.js'
import { startCPUHog } from '../../testing/cpu-hog.js'
import { captureLogger, createHarness } from '../../testing/gateway-harness.js'
import { rawRequest } from '../../testing/http-client.js'
import { freePort, redisAvailable, startRedisServer } from '../../testing/redis-server.js'
import { DEFAULT_STORE_TIMEOUT_MS } from './deadline.js'

const h = createHarness()
afterEach(() => h.close())
// Timers on a loaded 2-core machine run late: generous, yet the deadline plus it stays well below the 3 s pause.
const SLACK_MS = 1_000

const redisServer = async () => {
  const server = await startRedisServer()
  h.defer(() => server.close())
  return server
}

const timed = async <T>(work: Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now()
  const value = await work
  return { ms: performance.now() - started, value }
}

describe.skipIf(!redisAvailable())('a gateway before its Redis connection is up', () => {
  it('createApiKey right after construction succeeds: the call waits for the connection', async () => {
    const server = await redisServer()
    const gateway = new APIGateway({ redisUrl: server.url, logger: captureLogger() })
    h.defer(() => gateway.stop())
    expect(gateway.redis!.status).not.toBe('ready')
    const key = await gateway.apiKeyManager.createApiKey('boot key')
    expect(await gateway.apiKeyManager.validateApiKey(key)).toMatchObject({ name: 'boot key', status: 'active' })
    await gateway.ready()
    expect(await gateway.redis!.scard(`tollgate:keys`)).toBe(1)
  })

  it('a rate limit decision right after construction is made by Redis, not the fallback', async () => {
    const server = await redisServer()
    const up = await h.upstream()
    const gateway = new APIGateway({ redisUrl: server.url, logger: captureLogger() })
    h.defer(() => gateway.stop())
    gateway.registerRoute('/api', up.url, { rateLimit: { requestsPerMinute: 5 } })
    const res = await gateway.fetch(new Request('http://gateway.test/api'))
    expect(res.status).toBe(200)
    expect(gateway.health().stores).toMatchObject({ rate_limit: { status: 'up', failures: 0, fallbackDecisions: 0 } })
  })

  it('with Redis down: createApiKey and ready() reject with StoreUnavailableError within the store timeout', async () => {
    const url = `redis://127.0.0.1:${await freePort()}` // nothing listens there
    const gateway = new APIGateway({ redisUrl: url, logger: captureLogger() })
    h.defer(() => gateway.stop())
    gateway.registerRoute('/auth', 'http://127.0.0.1:9', { requireAuth: true })
    const create = await timed(gateway.apiKeyManager.createApiKey('boot key').catch((e: unknown) => e))
    expect(create.value).toBeInstanceOf(StoreUnavailableError)
    expect(create.value).toMatchObject({ status: 503, code: 'store_unavailable' })
    expect(create.ms).toBeLessThan(DEFAULT_STORE_TIMEOUT_MS + SLACK_MS)
    await expect(gateway.ready({ timeoutMs: 100 })).rejects.toBeInstanceOf(StoreUnavailableError)
    // At HTTP level: a well-formed key that no cache knows is refused with 503, never let through.
    const unknownKey = gateway.apiKeyManager.format.build(gateway.apiKeyManager.format.newId())
    const res = await gateway.fetch(new Request('http://gateway.test/auth', { headers: { 'x-api-key': unknownKey } }))
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([503, 'store_unavailable'])
  })
})

describe('store options', () => {
  it('a bad storeTimeoutMs or ready() timeout is a ConfigError naming it', async () => {
    expect(() => new APIGateway({ storeTimeoutMs: 0 })).toThrow(/options\.storeTimeoutMs must be a number from 1 to 60000, got 0/)
    expect(() => new APIGateway({ storeTimeoutMs: '500' as never })).toThrow(/storeTimeoutMs/)
    await expect(new APIGateway({ logger: captureLogger() }).ready({ timeoutMs: Number.NaN })).rejects.toThrow(/ready: timeoutMs/)
  })
})

describe.skipIf(!redisAvailable())('Redis paused for 3 s (CLIENT PAUSE), CPU hog running', () => {
  it('rate-limited and auth routes answer within the store deadline, not after the pause', async () => {
    const server = await redisServer()
    const up = await h.upstream()
    const { url, gateway } = await h.gateway(
      (g) => {
        g.registerRoute('/limited', up.url, { rateLimit: { requestsPerMinute: 1_000 } })
        g.registerRoute('/auth', up.url, { requireAuth: true })
      },
      { redisUrl: server.url },
    )
    const key = await gateway.apiKeyManager.createApiKey('paused')
    expect((await rawRequest(url, '/auth', { headers: { 'x-api-key': key } })).status).toBe(200)
    expect((await rawRequest(url, '/limited')).status).toBe(200)
    gateway.apiKeyManager.clearCache() // past the key cache: the lookup must reach Redis
    const admin = new Redis(server.url)
    h.defer(() => admin.quit())
    const hog = startCPUHog()
    try {
      await admin.call('CLIENT', 'PAUSE', '3000', 'ALL')
      const answers = await Promise.all([
        ...Array.from({ length: 10 }, () => timed(rawRequest(url, '/limited'))),
        ...Array.from({ length: 10 }, () => timed(rawRequest(url, '/auth', { headers: { 'x-api-key': key } }))),
      ])
      const slowest = Math.max(...answers.map((a) => a.ms))
      expect(slowest).toBeLessThan(DEFAULT_STORE_TIMEOUT_MS + SLACK_MS)
      // Limits fall back to the local limiter; keys fail closed past their cache.
      expect(answers.slice(0, 10).map((a) => a.value.status)).toEqual(Array(10).fill(200))
      expect(answers.slice(10).map((a) => [a.value.status, a.value.json().error.code])).toEqual(Array(10).fill([503, 'store_unavailable']))
    } finally {
      await hog.stop()
    }
  }, 20_000)
})
