// Rate limiting through the real gateway over sockets: memory store, three instances on one Redis, a Redis outage.
import { setMaxListeners } from 'node:events'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { APIGateway } from '../gateway.js'
import type { GatewayOptions } from '../options.js'
import { DEFAULT_STORE_TIMEOUT_MS } from './store/deadline.js'
import { burst as sendBurst, countStatus } from '../testing/burst.js'
import { startCPUHog } from '../testing/cpu-hog.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest, type RawResponse } from '../testing/http-client.js'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js'
import { RateLimitAlgorithm } from './types.js'

const h = createHarness()
afterEach(() => h.close())

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
/** A fixed test clock at the start of a minute (so windows and sub-windows begin empty), moved by hand. */
const testClock = () => {
  const clock = { t: Date.UTC(2026, 0, 1, 12, 0, 0), now: () => clock.t }
  return clock
}
const header = (res: RawResponse, name: string) => res.headers[name.toLowerCase()] as string | undefined
const limitHeaders = (res: RawResponse) => ({
  status: res.status,
  limit: header(res, 'x-ratelimit-limit'),
  remaining: header(res, 'x-ratelimit-remaining'),
})
const health = async (url: string) => (await rawRequest(url, '/_health')).json()
const metrics = async (url: string) => (await rawRequest(url, '/_metrics')).json()

describe('rate limits through the gateway (memory store)', () => {
  it('answers the 4th request of 3/min with 429 rate_limited and headers, never forwards it, and counts it', async () => {
    const clock = testClock()
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { id: 'api', rateLimit: { requestsPerMinute: 3 } }), { clock })

    const ok = []
    for (let i = 0; i < 3; i++) ok.push(await rawRequest(url, '/api/items'))
    expect(ok.map(limitHeaders)).toEqual([
      { status: 200, limit: '3', remaining: '2' },
      { status: 200, limit: '3', remaining: '1' },
      { status: 200, limit: '3', remaining: '0' },
    ])
    expect(header(ok[0]!, 'x-ratelimit-reset')).toBe(String(clock.t / 1000 + 60))

    const denied = await rawRequest(url, '/api/items')
    expect(denied.status).toBe(429)
    expect(denied.json().error.code).toBe('rate_limited')
    expect(Number(header(denied, 'retry-after'))).toBeGreaterThanOrEqual(1)
    expect(limitHeaders(denied)).toEqual({ status: 429, limit: '3', remaining: '0' })
    expect(header(denied, 'x-ratelimit-reset')).toBe(String(clock.t / 1000 + 60))
    expect(up.count()).toBe(3)

    const m = await metrics(url)
    expect(m.requests_rate_limited).toBe(1)
    expect(m.routes.api.requests_rate_limited).toBe(1)

    // Two windows later the caller is admitted again (the sliding window's previous sub-window has faded).
    clock.t += 120_000
    expect((await rawRequest(url, '/api/items')).status).toBe(200)
    expect(up.count()).toBe(4)
  })

  it("sends the IETF draft RateLimit and RateLimit-Policy fields with rateLimitHeaders: 'draft'", async () => {
    const clock = testClock()
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { rateLimit: { requestsPerMinute: 3 } }), {
      clock,
      rateLimitHeaders: 'draft',
    })
    const first = await rawRequest(url, '/api')
    expect(first.status).toBe(200)
    expect(header(first, 'ratelimit-policy')).toBe('"default";q=3;w=60')
    expect(header(first, 'ratelimit')).toBe('"default";r=2;t=60')
    expect(header(first, 'x-ratelimit-limit')).toBeUndefined()
    clock.t += 15_000
    await rawRequest(url, '/api')
    await rawRequest(url, '/api')
    const denied = await rawRequest(url, '/api')
    expect(denied.status).toBe(429)
    expect(header(denied, 'ratelimit')).toBe('"default";r=0;t=45')
    expect(header(denied, 'retry-after')).toBeDefined()
  })

  it("gives an API key its own limit, and a key on a tier that tier's limit, over defaultRateLimit", async () => {
    const clock = testClock()
    const up = await h.upstream()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/api', up.url, { requireAuth: true }), {
      clock,
      defaultRateLimit: { requestsPerMinute: 100 },
    })
    const own = await gateway.apiKeyManager.createApiKey('Own limit', { requestsPerMinute: 2 })
    const free = await gateway.apiKeyManager.createApiKey('Free tier', undefined, { tier: 'free' })
    const plain = await gateway.apiKeyManager.createApiKey('Default')
    const call = (key: string) => rawRequest(url, '/api', { headers: { 'x-api-key': key } })

    const ownSeen = [await call(own), await call(own), await call(own)].map(limitHeaders)
    expect(ownSeen).toEqual([
      { status: 200, limit: '2', remaining: '1' },
      { status: 200, limit: '2', remaining: '0' },
      { status: 429, limit: '2', remaining: '0' },
    ])
    // Tier FREE: token bucket of 10, refilled 1/s.
    const freeSeen = []
    for (let i = 0; i < 11; i++) freeSeen.push(limitHeaders(await call(free)))
    expect(freeSeen.slice(0, 10).every((r) => r.status === 200 && r.limit === '10')).toBe(true)
    expect(freeSeen[9]!.remaining).toBe('0')
    expect(freeSeen[10]).toEqual({ status: 429, limit: '10', remaining: '0' })
    clock.t += 1_000
    expect(limitHeaders(await call(free))).toEqual({ status: 200, limit: '10', remaining: '0' })
    // A key with neither gets defaultRateLimit; each key counts apart.
    expect(limitHeaders(await call(plain))).toEqual({ status: 200, limit: '100', remaining: '99' })
  })

  it("puts a client IP on a tier with setClientTier('127.0.0.1', 'free')", async () => {
    const clock = testClock()
    const up = await h.upstream()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/api', up.url), {
      clock,
      defaultRateLimit: { requestsPerMinute: 100 },
    })
    expect(limitHeaders(await rawRequest(url, '/api'))).toEqual({ status: 200, limit: '100', remaining: '99' })
    gateway.setClientTier('127.0.0.1', 'free')
    const seen = []
    for (let i = 0; i < 11; i++) seen.push(limitHeaders(await rawRequest(url, '/api')))
    expect(seen.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(200))
    expect(seen[0]).toEqual({ status: 200, limit: '10', remaining: '9' })
    expect(seen[10]).toEqual({ status: 429, limit: '10', remaining: '0' })
    clock.t += 3_000 // 3 tokens back
    const after = []
    for (let i = 0; i < 4; i++) after.push((await rawRequest(url, '/api')).status)
    expect(after).toEqual([200, 200, 200, 429])
    expect(up.count()).toBe(1 + 10 + 3)
  })

  it('a request the second limit (default) rejects consumes nothing from the first (route)', async () => {
    const clock = testClock()
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { id: 'api', rateLimit: { requestsPerMinute: 4 } }), {
      clock,
      defaultRateLimit: { requestsPerSecond: 2, algorithm: RateLimitAlgorithm.FIXED_WINDOW },
    })
    const burst = []
    for (let i = 0; i < 5; i++) burst.push(limitHeaders(await rawRequest(url, '/api')))
    expect(burst).toEqual([
      { status: 200, limit: '2', remaining: '1' }, // route 3 left, default 1 left: the default is closer to exhaustion
      { status: 200, limit: '2', remaining: '0' },
      { status: 429, limit: '2', remaining: '0' }, // rejected by the default limit
      { status: 429, limit: '2', remaining: '0' },
      { status: 429, limit: '2', remaining: '0' },
    ])
    clock.t += 1_000 // the default's window resets; the route's minute does not
    // Route 4 − 3 = 1 left and default 1 left (a tie reports the route): the three rejections took nothing from it.
    expect(limitHeaders(await rawRequest(url, '/api'))).toEqual({ status: 200, limit: '4', remaining: '1' })
    expect(limitHeaders(await rawRequest(url, '/api'))).toEqual({ status: 200, limit: '4', remaining: '0' })
    expect(limitHeaders(await rawRequest(url, '/api'))).toEqual({ status: 429, limit: '4', remaining: '0' })
    expect(up.count()).toBe(4)
    const m = await metrics(url)
    expect([m.requests_rate_limited, m.routes.api.requests_rate_limited]).toEqual([4, 4])
  })
})

const burst = async (urls: readonly string[], n: number, path: string): Promise<number[]> => (await sendBurst(urls, n, path)).statuses
const count = countStatus
/** The rate limit store's stats as /_health shows them. */
const storeStats = async (url: string) =>
  (await health(url)).stores.rate_limit as { status: string; failures: number; fallbackDecisions: number }

describe.skipIf(!redisAvailable())('rate limits through the gateway (Redis)', () => {
  let redis: RedisServerHandle
  let run = 0
  const prefix = () => `rlgw${process.pid}x${++run}`
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(() => redis?.close())

  /** Three gateways, each with its own Redis connection, on one upstream; one warm-up request each (loads the script). */
  const threeInstances = async (
    rateLimit: NonNullable<Parameters<APIGateway['registerRoute']>[2]>['rateLimit'],
    options: GatewayOptions,
  ) => {
    const up = await h.upstream()
    const keyPrefix = prefix()
    const instances = []
    for (let i = 0; i < 3; i++) {
      instances.push(
        await h.gateway(
          (g) => {
            g.registerRoute('/api', up.url, { id: 'api', rateLimit })
            g.registerRoute('/warm', up.url, { id: 'warm', rateLimit: { requestsPerHour: 100 } })
          },
          { redisUrl: redis.url, keyPrefix, ...options },
        ),
      )
    }
    for (const { url } of instances) expect((await rawRequest(url, '/warm')).status).toBe(200)
    up.reset()
    // A fixed window or sub-window edge inside the burst would let a second window's worth through: stay clear of it.
    const [seconds] = await instances[0]!.gateway.redis!.time()
    const intoHour = Number(seconds) % 3600
    if (intoHour > 3595) await sleep((3601 - intoHour) * 1000)
    return { up, instances, urls: instances.map((i) => i.url) }
  }

  for (const algorithm of [RateLimitAlgorithm.FIXED_WINDOW, RateLimitAlgorithm.TOKEN_BUCKET, RateLimitAlgorithm.SLIDING_WINDOW]) {
    it(`three instances on one Redis admit exactly 100 of 300 concurrent requests (${algorithm})`, async () => {
      // Per hour: a token bucket refilling 100/min would add a token or two during a one-second burst.
      // Defaults: no storeTimeoutMs (store/exact-limits.test.ts repeats this 20 times under a CPU hog).
      const { up, urls } = await threeInstances({ requestsPerHour: 100, algorithm }, {})
      const started = performance.now()
      const statuses = await burst(urls, 300, '/api/items')
      const burstMs = Math.round(performance.now() - started)
      const stats = await Promise.all(urls.map(storeStats))
      console.info(
        `[accuracy] ${algorithm}: ${count(statuses, 200)} admitted of 300 over 3 instances (default storeTimeoutMs, burst ${burstMs} ms, store failures ${stats.map((s) => s.failures).join('/')})`,
      )
      expect(stats.map((s) => [s.status, s.failures, s.fallbackDecisions])).toEqual(Array(3).fill(['up', 0, 0]))
      expect([count(statuses, 200), count(statuses, 429)]).toEqual([100, 200])
      expect(up.count()).toBe(100)
    })
  }

  it('Redis stopped mid-load (CPU hog running): no request waits past the timeout, no 5xx or 429, /_health shows it, exact again after restart', async () => {
    // Defaults; a lost connection sends decisions to the fallback at once, so only a loaded machine's delays add up.
    const timeoutMs = DEFAULT_STORE_TIMEOUT_MS
    const slackMs = 1_500
    const up = await h.upstream()
    const { url, gateway } = await h.gateway(
      (g) => {
        g.registerRoute('/load', up.url, { rateLimit: { requestsPerMinute: 1_000_000 } })
        g.registerRoute('/strict', up.url, { id: 'strict', rateLimit: { requestsPerHour: 10, algorithm: RateLimitAlgorithm.FIXED_WINDOW } })
      },
      { redisUrl: redis.url, keyPrefix: prefix(), onStoreFailure: 'fallback' },
    )
    const hog = startCPUHog()
    h.defer(() => hog.stop())
    expect((await rawRequest(url, '/load')).status).toBe(200)

    const seen: { ms: number; status: number }[] = []
    let loading = true
    const stuck = new AbortController() // ends a request still open 2 s after the load stops (then status 0)
    setMaxListeners(1_000, stuck.signal)
    const worker = async () => {
      while (loading) {
        const started = performance.now()
        const status = await rawRequest(url, '/load', { signal: stuck.signal }).then(
          (res) => res.status,
          () => 0,
        )
        seen.push({ ms: performance.now() - started, status })
        await sleep(2)
      }
    }
    const workers = [worker(), worker(), worker()]
    try {
      await sleep(300)
      await redis.stop({ abrupt: true })
      const stoppedAt = seen.length
      await sleep(300)
      const down = await health(url)
      expect(down.stores.rate_limit.status).toBe('down')
      expect(down.stores.redis).not.toBe('ready')
      const metrics = (await rawRequest(url, '/_metrics')).json()
      expect(metrics.stores.rate_limit.fallbackDecisions).toBeGreaterThan(0)
      const prometheus = (await rawRequest(url, '/_metrics/prometheus')).body
      expect(prometheus).toContain('tollgate_store_up{store="redis"} 0')
      expect(prometheus).toMatch(/tollgate_store_fallback_decisions_total\{store="redis"\} [1-9]/)
      expect(seen.length - stoppedAt).toBeGreaterThan(10) // the load went on through the outage
      await redis.restart()
      const deadline = performance.now() + 5_000
      while ((await storeStats(url)).status !== 'up') {
        if (performance.now() > deadline) throw new Error('the gateway did not recover within 5 s of Redis restarting')
        await sleep(50)
      }
      await sleep(100)
    } finally {
      loading = false
      const timer = setTimeout(() => stuck.abort(), 2_000)
      await Promise.all(workers)
      clearTimeout(timer)
    }

    const slowest = Math.max(...seen.map((s) => s.ms))
    const after = await storeStats(url)
    console.info(
      `[outage] ${seen.length} requests, slowest ${slowest.toFixed(1)} ms, store failures ${after.failures}, fallback decisions ${after.fallbackDecisions}`,
    )
    expect(seen.filter((s) => s.status !== 200)).toEqual([])
    expect(slowest).toBeLessThan(timeoutMs + slackMs)
    expect(after.fallbackDecisions).toBeGreaterThan(0)

    // Exact again, and from Redis (no fallback decision, no failure during the burst; the keys are in Redis).
    const statuses = await burst([url], 30, '/strict')
    expect([count(statuses, 200), count(statuses, 429)]).toEqual([10, 20])
    expect(up.received.filter((r) => r.url.startsWith('/strict'))).toHaveLength(10)
    const final = await storeStats(url)
    expect([final.status, final.failures, final.fallbackDecisions]).toEqual(['up', after.failures, after.fallbackDecisions])
    expect(await gateway.redis!.keys(`${gateway.options.keyPrefix}:rl:*strict*`)).toHaveLength(1)
  })
})
