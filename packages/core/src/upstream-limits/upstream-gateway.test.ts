// upstreamLimit through the real APIGateway (sockets): fair sharing, retried throttles, queue bounds, Redis-shared pauses.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { startThrottledUpstream } from '../testing/throttled-upstream.js'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js'
import type { UpstreamStatus } from './types.js'
import { expectFairShares } from './fair-share.test-helper.js'

const h = createHarness()
afterEach(() => h.close())

const ADMIN = 'admin-token-for-upstream-tests'
const admin = { authorization: `Bearer ${ADMIN}` }

type LimitMode = 'retry-after' | 'x-ratelimit'

/** `concurrency` loops calling `url` as `caller` until `signal` aborts; returns every status seen. */
const caller = async (url: string, name: string, concurrency: number, signal: AbortSignal): Promise<number[]> => {
  const statuses: number[] = []
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!signal.aborted) {
        try {
          const res = await fetch(url, { headers: { 'x-caller': name }, signal })
          await res.arrayBuffer()
          statuses.push(res.status)
        } catch {
          return // aborted at the end of the run
        }
      }
    }),
  )
  return statuses
}

const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('upstreamLimit through the gateway', () => {
  it.each<LimitMode>(['retry-after', 'x-ratelimit'])(
    'known limit (%s): a greedy caller with 10× the concurrency cannot starve two polite ones, and no 429 reaches a client',
    async (mode) => {
      const { upstream, stats } = await startThrottledUpstream({ limit: 20, windowMs: 1_000, mode })
      h.defer(() => upstream.close())
      const { url } = await h.gateway((g) =>
        g.registerRoute('/api', upstream.url, {
          upstreamLimit: { requestsPerSecond: 15, burstSize: 2, callerHeader: 'x-caller', maxWaitMs: 20_000 },
        }),
      )
      // Stop on a count of arrivals, not after a fixed time: on a loaded machine the same run takes longer.
      const stop = new AbortController()
      const stopAfter = waitFor(() => stats.admitted >= 40, 15_000).finally(() => stop.abort())
      const [greedy, politeA, politeB] = await Promise.all([
        caller(`${url}/api/items`, 'greedy', 20, stop.signal),
        caller(`${url}/api/items`, 'polite-a', 2, stop.signal),
        caller(`${url}/api/items`, 'polite-b', 2, stop.signal),
      ])
      await stopAfter
      const all = [...greedy, ...politeA, ...politeB]
      expect(all.filter((s) => s !== 200)).toEqual([])
      expect(stats.maxInWindow).toBeLessThanOrEqual(20)
      expect(stats.rejected).toBeLessThanOrEqual(1)
      expect(stats.admitted).toBeGreaterThanOrEqual(40)
      expectFairShares(stats.arrivals, ['polite-a', 'polite-b'])
    },
  )

  it('retries a throttling 429 after its Retry-After (the client sees 200); /_upstreams and /_metrics show it', async () => {
    let calls = 0
    const sentAt: number[] = []
    const upstream = await h.upstream({
      handler: (_req, res) => {
        sentAt.push(Date.now())
        if (++calls === 1) {
          res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
          res.end('{"error":"slow down"}')
          return true
        }
        return false
      },
    })
    const { url } = await h.gateway(
      (g) =>
        g.registerRoute('/api', upstream.url, { id: 'thirdparty', upstreamLimit: { requestsPerSecond: 20, callerHeader: 'x-caller' } }),
      { adminToken: ADMIN },
    )
    const alice = rawRequest(url, '/api/a', { headers: { 'x-caller': 'alice' } })
    await waitFor(() => calls === 1, 2_000)
    // Bob arrives during the pause: he waits with Alice instead of meeting the 429 himself.
    const bob = rawRequest(url, '/api/b', { headers: { 'x-caller': 'bob' } })
    const [a, b] = await Promise.all([alice, bob])
    expect([a.status, b.status]).toEqual([200, 200])
    expect(a.headers['retry-after']).toBeUndefined()
    expect(upstream.count()).toBe(3)
    // Every send after the 429 waited out its Retry-After (1 s; allow timer slack).
    for (const at of sentAt.slice(1)) expect(at - sentAt[0]!).toBeGreaterThanOrEqual(950)
    // The caller's share is on the response (two active callers: half of 20/s over 60 s).
    expect(b.headers['ratelimit-policy']).toBe('"upstream";q=600;w=60')

    expect((await rawRequest(url, '/_upstreams')).status).toBe(401)
    const listed = (await rawRequest(url, '/_upstreams', { headers: admin })).json<UpstreamStatus[]>()
    expect(listed).toHaveLength(1)
    const [status] = listed
    expect(status).toMatchObject({ ratePerSecond: 20, rateSource: 'configured', throttles: 1, queued: 0 })
    expect(status!.key).toContain(new URL(upstream.url).host)
    const callers = Object.fromEntries(status!.callers.map((c) => [c.callerId, c]))
    expect(callers.alice).toMatchObject({ share: 0.5, served: 2, queued: 0, ratePerSecond: 10 })
    expect(callers.bob).toMatchObject({ share: 0.5, served: 1, queued: 0 })

    const metrics = (await rawRequest(url, '/_metrics')).json<{ upstreams: UpstreamStatus[] }>()
    expect(metrics.upstreams).toEqual(listed)
    const prometheus = (await rawRequest(url, '/_metrics/prometheus')).body
    expect(prometheus).toMatch(/^tollgate_upstream_throttles_total\{upstream="[^"]+"\} 1$/m)
    expect(prometheus).toMatch(/^tollgate_upstream_caller_share\{upstream="[^"]+",caller="alice"\} 0\.5$/m)
  })

  it('maxWaitMs exceeded → 503 upstream_queue_timeout with Retry-After, answered without waiting', async () => {
    const upstream = await h.upstream()
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', upstream.url, {
        upstreamLimit: { requestsPerSecond: 1, burstSize: 1, callerHeader: 'x-caller', maxWaitMs: 1_500 },
      }),
    )
    expect((await rawRequest(url, '/api/x', { headers: { 'x-caller': 'a' } })).status).toBe(200)
    const started = Date.now()
    const responses = await Promise.all(Array.from({ length: 4 }, () => rawRequest(url, '/api/x', { headers: { 'x-caller': 'a' } })))
    expect(responses.map((r) => r.status).sort()).toEqual([200, 503, 503, 503])
    const rejected = responses.find((r) => r.status === 503)!
    expect(rejected.json()).toMatchObject({ error: { code: 'upstream_queue_timeout' } })
    const retryAfter = Number(rejected.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(3)
    expect(Date.now() - started).toBeLessThan(1_400)
    expect(upstream.count()).toBe(2)
  })

  it("shares one budget across the gateway's API keys: a key stripped before forwarding is not the upstream credential", async () => {
    const upstream = await h.upstream()
    const { url, gateway } = await h.gateway((g) =>
      g.registerRoute('/api', upstream.url, { requireAuth: true, upstreamLimit: { requestsPerSecond: 20, callerHeader: 'x-caller' } }),
    )
    const keys = await Promise.all(['app-a', 'app-b'].map((name) => gateway.apiKeyManager.createApiKey(name)))
    for (const [i, key] of keys.entries()) {
      const res = await rawRequest(url, '/api/x', { headers: { authorization: `Bearer ${key}`, 'x-caller': `c${i}` } })
      expect(res.status).toBe(200)
    }
    expect(upstream.received.every((r) => r.headers.authorization === undefined)).toBe(true)
    // Both keys reach the upstream with the same (absent) credential: one governor, one budget, one pause.
    const statuses = gateway.upstreamStatus()
    expect(statuses).toHaveLength(1)
    expect(statuses[0]!.callers.map((c) => c.callerId).sort()).toEqual(['c0', 'c1'])
  })

  it("does not take the gateway's own 503 (circuit open) for an upstream throttle", async () => {
    const upstream = await h.upstream({ failureRate: 1, failureStatus: 500 })
    const { url, gateway } = await h.gateway((g) =>
      g.registerRoute('/api', upstream.url, {
        circuitBreaker: { failureThreshold: 1, recoveryTimeoutMs: 30_000 },
        upstreamLimit: { requestsPerSecond: 20, callerHeader: 'x-caller' },
      }),
    )
    expect((await rawRequest(url, '/api/x', { headers: { 'x-caller': 'a' } })).status).toBe(500)
    const open = await rawRequest(url, '/api/x', { headers: { 'x-caller': 'a' } })
    expect([open.status, open.json().error.code]).toEqual([503, 'circuit_open'])
    // Sending is not paused for everybody, and the client got its answer at once rather than after retries.
    expect(gateway.upstreamStatus()[0]).toMatchObject({ throttles: 0, pausedUntil: null })
    expect(upstream.count()).toBe(1)
  })

  it('a client that goes away while queued is never sent upstream', async () => {
    const upstream = await h.upstream()
    const { url, gateway } = await h.gateway((g) =>
      g.registerRoute('/api', upstream.url, { upstreamLimit: { requestsPerSecond: 1, burstSize: 1, callerHeader: 'x-caller' } }),
    )
    expect((await rawRequest(url, '/api/first', { headers: { 'x-caller': 'a' } })).status).toBe(200)
    const controller = new AbortController()
    const queued = rawRequest(url, '/api/queued', { headers: { 'x-caller': 'a' }, signal: controller.signal }).catch((e: unknown) => e)
    await waitFor(() => gateway.upstreamStatus()[0]?.queued === 1, 900)
    controller.abort()
    expect(await queued).toBeInstanceOf(Error)
    await waitFor(() => gateway.upstreamStatus()[0]?.queued === 0, 500)
    // Past the moment its permit would have been granted: still only the first request reached the upstream.
    await new Promise((r) => setTimeout(r, 1_300))
    expect(upstream.received.map((r) => r.url)).toEqual(['/api/first'])
  })
})

describe.skipIf(!redisAvailable())('upstreamLimit across gateway instances sharing Redis', () => {
  let redis: RedisServerHandle
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(() => redis?.close())

  it('a 429 seen through one instance pauses sending through the other', async () => {
    const sentAt: Array<{ path: string; at: number }> = []
    const upstream = await h.upstream({
      handler: (req, res) => {
        sentAt.push({ path: req.url ?? '', at: Date.now() })
        if (sentAt.length === 1) {
          res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' })
          res.end('{"error":"slow down"}')
          return true
        }
        return false
      },
    })
    const keyPrefix = `upgw-${process.pid}-${Date.now()}`
    const route = (g: import('../gateway.js').APIGateway) =>
      g.registerRoute('/api', upstream.url, { upstreamLimit: { requestsPerSecond: 50, callerHeader: 'x-caller' } })
    const one = await h.gateway(route, { redisUrl: redis.url, keyPrefix })
    const two = await h.gateway(route, { redisUrl: redis.url, keyPrefix })

    const throttled = rawRequest(one.url, '/api/one', { headers: { 'x-caller': 'a' } })
    await waitFor(() => sentAt.length === 1, 2_000)
    await new Promise((r) => setTimeout(r, 100)) // instance one records the pause in Redis (one script call)
    const other = await rawRequest(two.url, '/api/two', { headers: { 'x-caller': 'b' } })
    expect(other.status).toBe(200)
    expect((await throttled).status).toBe(200)

    const throttledAt = sentAt[0]!.at
    const viaTwo = sentAt.find((s) => s.path === '/api/two')!
    // Instance two never saw a 429, yet it held its request until the shared Retry-After (2 s) was over.
    expect(viaTwo.at - throttledAt).toBeGreaterThanOrEqual(1_900)
    expect(two.gateway.upstreamStatus()[0]).toMatchObject({ throttles: 0 })
    expect(one.gateway.upstreamStatus()[0]).toMatchObject({ throttles: 1 })
    expect(sentAt.map((s) => s.path).sort()).toEqual(['/api/one', '/api/one', '/api/two'])
  })
})

describe('throttles and the circuit breaker', () => {
  it('does not open the breaker on throttling 503s: the client gets the answer once the upstream recovers', async () => {
    let throttlesLeft = 6
    const up = await h.upstream({
      handler: (_req, res) => {
        if (throttlesLeft-- > 0) {
          res.writeHead(503, { 'retry-after': '0' })
          res.end()
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.end('finally')
        }
        return true
      },
    })
    const { url, gateway } = await h.gateway((g) =>
      g.registerRoute('/api', up.url, {
        circuitBreaker: { failureThreshold: 3 },
        upstreamLimit: { requestsPerSecond: 100, maxRetries: 8, fallback503Ms: 10, jitter: 0 },
      }),
    )
    const res = await rawRequest(url, '/api/x')
    expect([res.status, res.body]).toEqual([200, 'finally'])
    expect(up.count()).toBe(7)
    expect(gateway.breakers.get(up.url).state).toBe('CLOSED')
  })
})

describe('presets over HTTP', () => {
  it('lists the presets at /_upstreams/presets behind the admin token', async () => {
    const { url } = await h.gateway(() => {}, { adminToken: ADMIN })
    expect((await rawRequest(url, '/_upstreams/presets')).status).toBe(401)
    const listed = (await rawRequest(url, '/_upstreams/presets', { headers: admin })).json() as Array<{ name: string }>
    expect(listed.map((p) => p.name)).toEqual(expect.arrayContaining(['github', 'openai', 'slack', 'notion', 'airtable', 'stripe']))
  })
})
