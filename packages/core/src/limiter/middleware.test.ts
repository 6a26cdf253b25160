import FakeTimers from '@sinonjs/fake-timers'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expect, it } from 'vitest'
import type { Route } from '../routing/route.js'
import { GuardedStore } from './store/guarded-store.js'
import { MemoryStore } from './store/memory-store.js'
import { StoreError } from './store/store-error.js'
import { Tier, type RateLimitConfig } from './config.js'
import { rateLimit, rateLimitStage, type RateLimitOptions } from './middleware.js'
import type { RateLimitStore } from './types.js'

const NOW = 1_700_000_012_345
const fakeClock = () => {
  const fake = FakeTimers.createClock(NOW)
  return { now: () => fake.now, tick: (ms: number) => void fake.tick(ms) }
}
const failing: RateLimitStore = {
  consume: () => Promise.reject(new StoreError('down')),
  consumeMany: () => Promise.reject(new StoreError('down')),
  reset: async () => {},
  close: async () => {},
}
const quiet = { warn: () => {}, info: () => {} }

const appWith = (options: RateLimitOptions) => {
  const app = new Hono()
  app.use(rateLimit(options))
  app.get('/', (c) => c.text('ok'))
  return app
}
const get = (app: Hono, client = 'a') => app.request('/', { headers: { 'x-client': client } })

describe('rateLimit() on a Hono app', () => {
  it('sets X-RateLimit-* on every response and answers 429 with Retry-After and the JSON error', async () => {
    const clock = fakeClock()
    const app = appWith({ requestsPerMinute: 2, algorithm: 'fixed_window', keyBy: 'x-client', store: new MemoryStore({ clock }), clock })
    const windowEnd = NOW - (NOW % 60_000) + 60_000
    const first = await get(app)
    expect(first.status).toBe(200)
    expect(Object.fromEntries([...first.headers].filter(([k]) => k.startsWith('x-ratelimit')))).toEqual({
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': String(Math.ceil(windowEnd / 1000)),
    })
    expect((await get(app)).headers.get('x-ratelimit-remaining')).toBe('0')
    const rejected = await get(app)
    expect(rejected.status).toBe(429)
    expect(rejected.headers.get('retry-after')).toBe(String(Math.ceil((windowEnd - NOW) / 1000)))
    expect(rejected.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(await rejected.json()).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/Rate limit exceeded/), requestId: expect.any(String) },
    })
    expect((await get(app, 'b')).status).toBe(200) // keyed by the header
    clock.tick(windowEnd - NOW)
    expect((await get(app)).status).toBe(200)
  })

  it("headers: 'draft' sends the IETF RateLimit and RateLimit-Policy fields", async () => {
    const clock = fakeClock()
    const app = appWith({
      requestsPerSecond: 10,
      burstSize: 20,
      algorithm: 'token_bucket',
      keyBy: 'x-client',
      headers: 'draft',
      store: new MemoryStore({ clock }),
      clock,
    })
    const res = await get(app)
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=20;w=1')
    expect(res.headers.get('ratelimit')).toBe('"default";r=19;t=1') // 1 token back in 100 ms → 1 s rounded up
    expect(res.headers.get('x-ratelimit-limit')).toBeNull()
  })

  it("headers: 'both' and headers: false", async () => {
    const both = await get(appWith({ requestsPerMinute: 5, keyBy: 'x-client', headers: 'both' }))
    expect(both.headers.get('x-ratelimit-limit')).toBe('5')
    expect(both.headers.get('ratelimit')).toMatch(/^"default";r=4;t=\d+$/)
    const app = appWith({ requestsPerMinute: 1, keyBy: 'x-client', headers: false })
    const ok = await get(app)
    expect([...ok.headers.keys()].filter((k) => k.includes('ratelimit'))).toEqual([])
    const rejected = await get(app)
    expect(rejected.status).toBe(429)
    expect(rejected.headers.get('retry-after')).toMatch(/^\d+$/)
    expect([...rejected.headers.keys()].filter((k) => k.includes('ratelimit'))).toEqual([])
  })

  it('a failing store is never a 429: fallback by default, 503 store_unavailable with deny', async () => {
    const fallback = appWith({ requestsPerMinute: 1, keyBy: 'x-client', store: new GuardedStore(failing, { logger: quiet }) })
    expect((await get(fallback)).status).toBe(200)
    expect((await get(fallback)).status).toBe(429) // the local fallback still limits
    const deny = appWith({
      requestsPerMinute: 1,
      keyBy: 'x-client',
      store: new GuardedStore(failing, { onStoreFailure: 'deny', logger: quiet }),
    })
    const res = await get(deny)
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: { code: 'store_unavailable' } })
    const raw = appWith({ requestsPerMinute: 1, keyBy: 'x-client', store: failing, onStoreFailure: 'allow' })
    expect((await get(raw)).status).toBe(200)
    expect((await get(raw)).status).toBe(200)
  })

  it('adds headers to an immutable upstream response too', async () => {
    const app = new Hono()
    app.use(rateLimit({ requestsPerMinute: 5, keyBy: 'x-client' }))
    app.get('/', () => Response.redirect('http://127.0.0.1/elsewhere', 302)) // headers guard: immutable
    const res = await get(app)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://127.0.0.1/elsewhere')
    expect(res.headers.get('x-ratelimit-remaining')).toBe('4')
  })

  it('rejects an invalid config when the middleware is built', () => {
    expect(() => rateLimit({ requestsPerMinute: -1 })).toThrow(/rateLimit.requestsPerMinute must be a positive integer/)
  })
})

const route = (id: string, rateLimit?: RateLimitConfig | false) => ({ id, prefix: `/${id}`, raw: { rateLimit } }) as unknown as Route

/** A gateway-like app: an identity stage (from test headers), then the rate limit stage of each route. */
const gatewayApp = (stages: Record<string, MiddlewareHandler | undefined>) => {
  const app = new Hono()
  app.use(async (c, next) => {
    const ip = c.req.header('x-ip') ?? '10.0.0.1'
    const key = c.req.header('x-key')
    c.set('clientIp', ip)
    c.set('apiKey', key ? { id: key, name: key, ...JSON.parse(c.req.header('x-key-props') ?? '{}') } : undefined)
    c.set('clientId', key ?? ip)
    await next()
  })
  for (const [id, stage] of Object.entries(stages)) {
    if (stage) app.use(`/${id}/*`, stage)
    app.get(`/${id}/*`, (c) => c.text('ok'))
  }
  return app
}

describe('rateLimitStage()', () => {
  const deps = (extra: Partial<Parameters<typeof rateLimitStage>[1]> = {}) => ({
    store: new MemoryStore({ clock: fakeClock() }),
    clientTier: () => undefined,
    ...extra,
  })

  it('route limit and caller limit both apply; a rejection consumes from neither', async () => {
    const rejected: string[] = []
    const d = deps({
      defaultRateLimit: { requestsPerMinute: 3, algorithm: 'fixed_window' },
      onRejected: (c) => void rejected.push(c.req.path),
    })
    const app = gatewayApp({
      narrow: rateLimitStage(route('narrow', { requestsPerMinute: 2, algorithm: 'fixed_window' }), d),
      open: rateLimitStage(route('open'), d),
    })
    expect((await app.request('/narrow/x')).headers.get('x-ratelimit-remaining')).toBe('1') // route: 1 left, caller: 2 left
    expect((await app.request('/narrow/x')).status).toBe(200)
    const byRoute = await app.request('/narrow/x')
    expect(byRoute.status).toBe(429)
    expect(byRoute.headers.get('x-ratelimit-limit')).toBe('2')
    // The caller's default limit (3) was not charged for the rejected request: one left.
    expect((await app.request('/open/x')).headers.get('x-ratelimit-remaining')).toBe('0')
    expect((await app.request('/open/x')).status).toBe(429)
    expect((await app.request('/open/x', { headers: { 'x-ip': '10.0.0.2' } })).status).toBe(200) // another caller
    expect(rejected).toEqual(['/narrow/x', '/open/x'])
  })

  it("the caller's key limit, else its tier, else the default", async () => {
    const tiers = new Map([['10.0.0.9', Tier.FREE]])
    const d = deps({ defaultRateLimit: { requestsPerMinute: 100 }, clientTier: (id: string) => tiers.get(id) })
    const app = gatewayApp({ api: rateLimitStage(route('api'), d) })
    // Tier set at runtime for an IP: FREE is a bucket of 10.
    const free = { headers: { 'x-ip': '10.0.0.9' } }
    for (let i = 0; i < 10; i++) expect((await app.request('/api/x', free)).status).toBe(200)
    const res = await app.request('/api/x', free)
    expect(res.status).toBe(429)
    expect(res.headers.get('x-ratelimit-limit')).toBe('10')
    // A key with its own limit.
    const own = { headers: { 'x-key': 'k1', 'x-key-props': JSON.stringify({ rateLimit: { requestsPerHour: 1 } }) } }
    expect((await app.request('/api/x', own)).headers.get('x-ratelimit-limit')).toBe('1')
    expect((await app.request('/api/x', own)).status).toBe(429)
    // A key on a tier.
    const premium = { headers: { 'x-key': 'k2', 'x-key-props': JSON.stringify({ tier: 'premium' }) } }
    expect((await app.request('/api/x', premium)).headers.get('x-ratelimit-limit')).toBe('200')
    // Anyone else: the default.
    expect((await app.request('/api/x')).headers.get('x-ratelimit-limit')).toBe('100')
  })

  it("the route's cost is taken from the caller's limit too", async () => {
    const d = deps({ clientTier: () => Tier.FREE })
    const app = gatewayApp({ costly: rateLimitStage(route('costly', { requestsPerMinute: 100, cost: 5 }), d) })
    expect((await app.request('/costly/x')).headers.get('x-ratelimit-remaining')).toBe('5') // FREE bucket 10 − 5
    expect((await app.request('/costly/x')).status).toBe(200)
    expect((await app.request('/costly/x')).status).toBe(429)
  })

  it('nothing to do: rateLimit false → no stage; no limits → passes through without headers', async () => {
    expect(rateLimitStage(route('off', false), deps())).toBeUndefined()
    const app = gatewayApp({ free: rateLimitStage(route('free'), deps()) })
    const res = await app.request('/free/x')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ratelimit-limit')).toBeNull()
  })

  it('store deny policy → 503 store_unavailable, never 429', async () => {
    const d = deps({
      store: new GuardedStore(failing, { onStoreFailure: 'deny', logger: quiet }),
      defaultRateLimit: { requestsPerSecond: 1 },
    })
    const res = await gatewayApp({ api: rateLimitStage(route('api'), d) }).request('/api/x')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: { code: 'store_unavailable' } })
  })

  it('an invalid route config fails when the stage is built, naming the field', () => {
    expect(() => rateLimitStage(route('bad', { requestsPerMinute: 0 }), deps())).toThrow(
      /^options\.rateLimit\.requestsPerMinute must be a positive integer, got 0$/,
    )
  })
})
