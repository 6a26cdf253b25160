// The cache stage on a real Hono app whose final handler stands in for the forwarder; run on every store.
import { routeOptionsSchema } from '../option-schemas.js'
import { parseOptions } from '../schema/parse.js'
import { randomUUID } from 'node:crypto'
import FakeTimers from '@sinonjs/fake-timers'
import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../clock.js'
import { errorResponse } from '../errors.js'
import type { RouteOptions } from '../routing/route.js'
import { normalizePath } from '../routing/normalize-path.js'
import { useRedis } from '../testing/redis-fixture.js'
import { redisAvailable } from '../testing/redis-server.js'
import { cacheStage, type CacheStageDeps } from './cache-stage.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import { purgeCache } from './purge.js'
import { RedisCacheStore } from './redis-cache-store.js'
import type { CacheStore } from './store.js'

type Upstream = (request: Request, call: number) => Response | Promise<Response>

/** A stand-in for the forwarder: counts calls; a 5xx marked `gatewayError` plays a gateway error response. */
interface FakeUpstream {
  calls: number
  requests: Request[]
  respond: Upstream
}

const fakeUpstream = (respond: Upstream = (_, n) => new Response(`body ${n}`)): FakeUpstream => ({
  calls: 0,
  requests: [],
  respond,
})

const gatewayFailure = (): Response => {
  const res = errorResponse(502, 'bad_gateway', 'upstream unreachable')
  res.headers.set('x-gateway-error', 'bad_gateway')
  return res
}

/** A body delivered in chunks with a pause between them, with no Content-Length (as a chunked upstream sends it). */
const streamed = (totalBytes: number, chunkBytes: number, fill = (i: number) => i % 251): ReadableStream<Uint8Array> => {
  let sent = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= totalBytes) return controller.close()
      const size = Math.min(chunkBytes, totalBytes - sent)
      const chunk = new Uint8Array(size).map((_, i) => fill(sent + i))
      sent += size
      await new Promise((r) => setImmediate(r))
      controller.enqueue(chunk)
    },
  })
}

const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

interface StoreFixture {
  store: CacheStore
  cleanup(): Promise<void>
}

const T0 = Date.UTC(2026, 0, 1)

/** Polls (bounded) until `condition` holds, so tests synchronise on what happened rather than on sleeps. */
const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(condition()).toBe(true)
}

const describeCacheStage = (name: string, makeStore: (clock: Clock) => Promise<StoreFixture>): void => {
  describe(`cache stage on the ${name} store`, () => {
    let fake: ReturnType<typeof FakeTimers.createClock>
    let clock: Clock
    let fixture: StoreFixture
    let store: CacheStore
    let hits: number
    let misses: number
    let storeErrors: unknown[]
    /** Store reads completed: every request's first lookup is one, so a burst has looked up once this grows by its size. */
    let gets: number

    beforeEach(async () => {
      // A detached fake clock: it drives freshness and the memory store's TTLs without touching global timers.
      fake = FakeTimers.createClock(T0)
      clock = { now: () => fake.now }
      fixture = await makeStore(clock)
      store = fixture.store
      hits = 0
      misses = 0
      storeErrors = []
      gets = 0
    })

    const counted = (inner: CacheStore): CacheStore => ({
      get: (key) => inner.get(key).finally(() => void gets++),
      set: (key, record, ttlMs) => inner.set(key, record, ttlMs),
      delete: (key) => inner.delete(key),
      purge: (prefix) => inner.purge(prefix),
      size: () => inner.size(),
      close: () => inner.close(),
    })
    afterEach(async () => {
      await store.close()
      await fixture.cleanup()
    })

    const app = (options: RouteOptions, upstream: FakeUpstream, stageStore: CacheStore = store, extra: Partial<CacheStageDeps> = {}) => {
      const stage = cacheStage(
        { raw: options },
        {
          ...extra,
          store: counted(stageStore),
          clock,
          onHit: () => void hits++,
          onMiss: () => void misses++,
          onError: (error) => void storeErrors.push(error),
        },
      )
      if (!stage) throw new Error('expected a cache stage')
      const hono = new Hono()
      hono.use('*', async (c, next) => {
        // What routing and auth decide before the cache runs.
        c.set('normalizedPath', normalizePath(c.req.path))
        const key = c.req.header('x-test-key')
        c.set('apiKey', key ? { id: key, name: `app ${key}` } : undefined)
        await next()
      })
      hono.use('*', stage)
      hono.all('*', async (c) => {
        upstream.calls++
        upstream.requests.push(c.req.raw)
        const res = await upstream.respond(c.req.raw, upstream.calls)
        if (res.headers.get('x-gateway-error')) c.set('gatewayError', 'bad_gateway')
        return res
      })
      return hono
    }

    const get = async (hono: Hono, path: string, headers: Record<string, string> = {}, method = 'GET') => {
      const res = await hono.request(path, { method, headers })
      return { res, status: res.status, cache: res.headers.get('x-cache'), age: res.headers.get('age'), body: await res.text() }
    }

    it('is absent on routes without cacheTtl and validates its options by name', () => {
      expect(cacheStage({ raw: {} }, { store })).toBeUndefined()
      const check = (raw: unknown) => () => parseOptions(routeOptionsSchema, raw, 'options')
      expect(check({ cacheTtl: 0 })).toThrow(/options\.cacheTtl/)
      expect(check({ cacheTtl: 10, staleIfError: -1 })).toThrow(/options\.staleIfError/)
      expect(check({ cacheTtl: 10, cacheMaxBodyBytes: 1.5 })).toThrow(/options\.cacheMaxBodyBytes/)
      expect(check({ cacheTtl: 10, cacheShared: 'yes' })).toThrow(/options\.cacheShared/)
      expect(check({ staleIfError: 5 })).toThrow(/options\.staleIfError needs cacheTtl/)
    })

    it('misses, then hits with Age until cacheTtl runs out', async () => {
      const upstream = fakeUpstream((_, n) => new Response(`body ${n}`, { headers: { 'content-type': 'text/plain' } }))
      const hono = app({ cacheTtl: 60 }, upstream)
      const first = await get(hono, '/items')
      expect(first).toMatchObject({ status: 200, cache: 'MISS', body: 'body 1' })
      fake.tick(10_500)
      const second = await get(hono, '/items')
      expect(second).toMatchObject({ status: 200, cache: 'HIT', age: '10', body: 'body 1' })
      expect(second.res.headers.get('content-type')).toBe('text/plain')
      expect(upstream.calls).toBe(1)
      expect(await store.size()).toBe(1)
      fake.tick(50_000)
      expect(await get(hono, '/items')).toMatchObject({ cache: 'MISS', body: 'body 2' })
      expect(upstream.calls).toBe(2)
      expect({ hits, misses }).toEqual({ hits: 1, misses: 2 })
    })

    it('answers HEAD from a GET entry without a body, and stores nothing from a HEAD miss', async () => {
      const upstream = fakeUpstream((req, n) => new Response(req.method === 'HEAD' ? null : `body ${n}`))
      const hono = app({ cacheTtl: 60 }, upstream)
      expect(await get(hono, '/h', {}, 'HEAD')).toMatchObject({ cache: 'MISS', body: '' })
      expect(await get(hono, '/h')).toMatchObject({ cache: 'MISS', body: 'body 2' })
      const head = await get(hono, '/h', {}, 'HEAD')
      expect(head).toMatchObject({ status: 200, cache: 'HIT', body: '' })
      expect(head.res.headers.get('content-length')).toBe('6')
      expect(upstream.calls).toBe(2)
    })

    it('passes other methods through untouched', async () => {
      const upstream = fakeUpstream()
      const hono = app({ cacheTtl: 60 }, upstream)
      const post = await get(hono, '/p', {}, 'POST')
      expect(post.cache).toBeNull()
      await get(hono, '/p', {}, 'POST')
      expect(upstream.calls).toBe(2)
    })

    it('keys on the sorted query', async () => {
      const upstream = fakeUpstream()
      const hono = app({ cacheTtl: 60 }, upstream)
      await get(hono, '/q?b=2&a=1')
      expect((await get(hono, '/q?a=1&b=2')).cache).toBe('HIT')
      expect((await get(hono, '/q?a=1&b=3')).cache).toBe('MISS')
      expect((await get(hono, '/q')).cache).toBe('MISS')
      expect(upstream.calls).toBe(3)
    })

    it('keeps one variant per value of the headers the upstream names in Vary', async () => {
      const upstream = fakeUpstream(
        (req) => new Response(`lang ${req.headers.get('accept-language') ?? 'none'}`, { headers: { vary: 'Accept-Language' } }),
      )
      const hono = app({ cacheTtl: 60 }, upstream)
      expect(await get(hono, '/v', { 'accept-language': 'en' })).toMatchObject({ cache: 'MISS', body: 'lang en' })
      expect(await get(hono, '/v', { 'accept-language': 'fr' })).toMatchObject({ cache: 'MISS', body: 'lang fr' })
      expect(await get(hono, '/v', { 'accept-language': 'en' })).toMatchObject({ cache: 'HIT', body: 'lang en' })
      expect(await get(hono, '/v', { 'accept-language': 'fr' })).toMatchObject({ cache: 'HIT', body: 'lang fr' })
      expect(await get(hono, '/v')).toMatchObject({ cache: 'MISS', body: 'lang none' })
      expect(upstream.calls).toBe(3)
    })

    it('keys on Accept-Encoding unless the route opts out', async () => {
      const upstream = fakeUpstream((req, n) => new Response(`${req.headers.get('accept-encoding') ?? 'plain'} ${n}`))
      const hono = app({ cacheTtl: 60 }, upstream)
      expect((await get(hono, '/e', { 'accept-encoding': 'gzip' })).body).toBe('gzip 1')
      expect((await get(hono, '/e')).body).toBe('plain 2')
      expect(await get(hono, '/e', { 'accept-encoding': 'GZIP;q=1, identity;q=0' })).toMatchObject({ cache: 'HIT', body: 'gzip 1' })

      const shared = fakeUpstream()
      const optedOut = app({ cacheTtl: 60, cacheVaryOnEncoding: false }, shared)
      await get(optedOut, '/e2', { 'accept-encoding': 'gzip' })
      expect((await get(optedOut, '/e2')).cache).toBe('HIT')
      expect(shared.calls).toBe(1)
    })

    it('keeps headers that could poison a shared entry in the key', async () => {
      const upstream = fakeUpstream((req) => new Response(`link https://${req.headers.get('x-forwarded-host') ?? 'api.example'}/x`))
      const hono = app({ cacheTtl: 60 }, upstream)
      expect((await get(hono, '/p', { 'x-forwarded-host': 'evil.example' })).body).toBe('link https://evil.example/x')
      expect(await get(hono, '/p')).toMatchObject({ cache: 'MISS', body: 'link https://api.example/x' })
      expect(upstream.calls).toBe(2)
    })

    it.each([
      ['Cache-Control: no-store', { 'cache-control': 'no-store' }, 200],
      ['Cache-Control: private', { 'cache-control': 'private, max-age=60' }, 200],
      ['Cache-Control: no-cache', { 'cache-control': 'no-cache' }, 200],
      ['Set-Cookie', { 'set-cookie': 'session=abc' }, 200],
      ['Vary: *', { vary: '*' }, 200],
      ['a 500', {}, 500],
      ['a 503', {}, 503],
      ['a 206', {}, 206],
      ['a 302', {}, 302],
      ['max-age=0', { 'cache-control': 'max-age=0' }, 200],
    ])('does not store a response with %s', async (_, headers: Record<string, string>, status) => {
      const upstream = fakeUpstream((_, n) => new Response(`body ${n}`, { status, headers }))
      const hono = app({ cacheTtl: 60 }, upstream)
      expect(await get(hono, '/n')).toMatchObject({ status, cache: 'MISS', body: 'body 1' })
      expect(await get(hono, '/n')).toMatchObject({ status, cache: 'MISS', body: 'body 2' })
      expect(upstream.calls).toBe(2)
    })

    it.each([200, 204, 301, 404, 410])('stores a %s', async (status) => {
      const upstream = fakeUpstream(() => new Response(status === 204 ? null : 'x', { status, headers: { location: '/y' } }))
      const hono = app({ cacheTtl: 60 }, upstream)
      await get(hono, '/s')
      expect(await get(hono, '/s')).toMatchObject({ status, cache: 'HIT' })
      expect(upstream.calls).toBe(1)
    })

    it('bypasses requests with credentials on a route without requireAuth', async () => {
      const upstream = fakeUpstream((req, n) => new Response(`${req.headers.get('authorization') ?? 'anon'} ${n}`))
      const hono = app({ cacheTtl: 60 }, upstream)
      await get(hono, '/b')
      const withAuth = await get(hono, '/b', { authorization: 'Bearer secret' })
      expect(withAuth).toMatchObject({ cache: 'BYPASS', body: 'Bearer secret 2' })
      expect((await get(hono, '/b', { 'x-api-key': 'k' })).cache).toBe('BYPASS')
      expect((await get(hono, '/b', { cookie: 'session=1' })).cache).toBe('BYPASS')
      // The private answer was not stored: an anonymous caller still gets the shared entry.
      expect(await get(hono, '/b')).toMatchObject({ cache: 'HIT', body: 'anon 1' })
      expect(upstream.calls).toBe(4)
      expect({ hits, misses }).toEqual({ hits: 1, misses: 1 })
    })

    it('bypasses requests with Cache-Control: no-store and Range', async () => {
      const upstream = fakeUpstream()
      const hono = app({ cacheTtl: 60 }, upstream)
      await get(hono, '/r')
      expect((await get(hono, '/r', { 'cache-control': 'no-store' })).cache).toBe('BYPASS')
      expect((await get(hono, '/r', { range: 'bytes=0-1' })).cache).toBe('BYPASS')
      expect(upstream.calls).toBe(3)
    })

    it("never serves one key's response to another on requireAuth routes", async () => {
      const upstream = fakeUpstream((req) => new Response(`private data of ${req.headers.get('x-test-key')}`))
      const hono = app({ cacheTtl: 60, requireAuth: true }, upstream)
      expect((await get(hono, '/me', { 'x-test-key': 'A' })).body).toBe('private data of A')
      expect(await get(hono, '/me', { 'x-test-key': 'B' })).toMatchObject({ cache: 'MISS', body: 'private data of B' })
      expect(await get(hono, '/me', { 'x-test-key': 'A' })).toMatchObject({ cache: 'HIT', body: 'private data of A' })
      expect(await get(hono, '/me', { 'x-test-key': 'B' })).toMatchObject({ cache: 'HIT', body: 'private data of B' })
      // No key (auth did not run): never read or written.
      expect((await get(hono, '/me')).cache).toBe('BYPASS')
      expect(upstream.calls).toBe(3)
    })

    it('shares one entry across keys when the route says cacheShared', async () => {
      const upstream = fakeUpstream((req) => new Response(`catalog via ${req.headers.get('x-test-key')}`))
      const hono = app({ cacheTtl: 60, requireAuth: true, cacheShared: true }, upstream)
      await get(hono, '/catalog', { 'x-test-key': 'A', authorization: 'Bearer A' })
      expect(await get(hono, '/catalog', { 'x-test-key': 'B', authorization: 'Bearer B' })).toMatchObject({
        cache: 'HIT',
        body: 'catalog via A',
      })
      expect(upstream.calls).toBe(1)
    })

    it('sends one upstream request for 50 concurrent misses', async () => {
      const release = gate()
      const upstream = fakeUpstream(async (_, n) => {
        await release.opened
        return new Response(streamed(10_000, 1_000), { headers: { 'x-call': String(n) } })
      })
      const hono = app({ cacheTtl: 60 }, upstream)
      const pending = Array.from({ length: 50 }, () => get(hono, '/hot'))
      await until(() => gets >= 50)
      release.open()
      const results = await Promise.all(pending)
      expect(upstream.calls).toBe(1)
      for (const r of results) {
        expect(r.status).toBe(200)
        expect(r.body.length).toBe(10_000)
        expect(r.res.headers.get('x-call')).toBe('1')
      }
      expect(results.filter((r) => r.cache === 'MISS')).toHaveLength(1)
      expect(results.filter((r) => r.cache === 'HIT')).toHaveLength(49)
    })

    it('sends each waiter upstream itself when the coalesced answer is not storable', async () => {
      const release = gate()
      const upstream = fakeUpstream(async (_, n) => {
        await release.opened
        return new Response(`private ${n}`, { headers: { 'cache-control': 'private' } })
      })
      const hono = app({ cacheTtl: 60 }, upstream)
      const pending = Array.from({ length: 10 }, () => get(hono, '/mine'))
      await until(() => gets >= 10)
      release.open()
      const results = await Promise.all(pending)
      expect(upstream.calls).toBe(10)
      // Each caller got the answer to its own upstream request, none a copy of another's.
      expect(new Set(results.map((r) => r.body)).size).toBe(10)
      expect(results.every((r) => r.cache === 'MISS' && r.status === 200)).toBe(true)
    })

    it('serves coalesced waiters STALE when their leader finds the upstream failing', async () => {
      let release = gate()
      let failing = false
      const upstream = fakeUpstream(async (_, n) => {
        await release.opened
        return failing ? gatewayFailure() : new Response(`body ${n}`)
      })
      const hono = app({ cacheTtl: 10, staleIfError: 60 }, upstream)
      release.open()
      await get(hono, '/s')
      fake.tick(20_000)
      failing = true
      release = gate()
      const before = gets
      const pending = Array.from({ length: 10 }, () => get(hono, '/s'))
      await until(() => gets >= before + 10)
      release.open()
      const results = await Promise.all(pending)
      expect(upstream.calls).toBe(2)
      expect(results.every((r) => r.cache === 'STALE' && r.body === 'body 1' && r.status === 200)).toBe(true)
    })

    it('gives each coalesced waiter its own variant when the upstream turns out to Vary', async () => {
      const release = gate()
      const upstream = fakeUpstream(async (req) => {
        await release.opened
        return new Response(`lang ${req.headers.get('accept-language')}`, { headers: { vary: 'accept-language' } })
      })
      const hono = app({ cacheTtl: 60 }, upstream)
      const langs = ['en', 'fr', 'en', 'de', 'en']
      const pending = langs.map((lang) => get(hono, '/v', { 'accept-language': lang }))
      await until(() => gets >= langs.length)
      release.open()
      const results = await Promise.all(pending)
      expect(results.map((r) => r.body)).toEqual(langs.map((lang) => `lang ${lang}`))
      // The leader (en) answered the other en requests from the store; fr and de went upstream themselves.
      expect(upstream.calls).toBe(3)
      expect((await get(hono, '/v', { 'accept-language': 'de' })).cache).toBe('HIT')
    })

    it('stops waiting for a stalled leader after maxWaitMs and goes upstream itself', async () => {
      const release = gate()
      const upstream = fakeUpstream(async (_, n) => {
        if (n === 1) await release.opened
        return new Response(`body ${n}`)
      })
      const hono = app({ cacheTtl: 60 }, upstream, store, { maxWaitMs: 50 })
      const leader = get(hono, '/slow')
      await until(() => upstream.calls === 1)
      expect(await get(hono, '/slow')).toMatchObject({ cache: 'MISS', body: 'body 2' })
      release.open()
      expect(await leader).toMatchObject({ cache: 'MISS', body: 'body 1' })
      expect(upstream.calls).toBe(2)
    })

    it('purges everything or one path subtree', async () => {
      const upstream = fakeUpstream()
      const hono = app({ cacheTtl: 60 }, upstream)
      const paths = ['/api/users', '/api/users/7?x=1', '/api/usersX', '/api/other']
      for (const path of paths) await get(hono, path)
      expect(await purgeCache(store, '/api/users/')).toBe(2)
      expect((await get(hono, '/api/users/7?x=1')).cache).toBe('MISS')
      expect((await get(hono, '/api/users')).cache).toBe('MISS')
      expect((await get(hono, '/api/usersX')).cache).toBe('HIT')
      expect(await purgeCache(store)).toBe(4)
      for (const path of paths) expect((await get(hono, path)).cache).toBe('MISS')
    })

    it('serves an expired entry as STALE within staleIfError when the upstream fails', async () => {
      let failing: 'gateway' | 500 | undefined
      const upstream = fakeUpstream((_, n) =>
        failing === 'gateway' ? gatewayFailure() : failing === 500 ? new Response('oops', { status: 500 }) : new Response(`body ${n}`),
      )
      const hono = app({ cacheTtl: 10, staleIfError: 60 }, upstream)
      await get(hono, '/s')
      fake.tick(15_000)
      failing = 'gateway'
      expect(await get(hono, '/s')).toMatchObject({ status: 200, cache: 'STALE', age: '15', body: 'body 1' })
      failing = 500
      expect(await get(hono, '/s')).toMatchObject({ status: 200, cache: 'STALE', body: 'body 1' })
      fake.tick(60_000)
      failing = 'gateway'
      expect(await get(hono, '/s')).toMatchObject({ status: 502, cache: 'MISS' })
      expect(hits).toBe(2)
    })

    it('refreshes an expired entry when the upstream answers, and never serves must-revalidate stale', async () => {
      let failing = false
      const upstream = fakeUpstream((_, n) =>
        failing
          ? gatewayFailure()
          : new Response(`body ${n}`, { headers: { 'cache-control': n === 1 ? 'max-age=10' : 'max-age=10, must-revalidate' } }),
      )
      const hono = app({ cacheTtl: 10, staleIfError: 60 }, upstream)
      await get(hono, '/s')
      fake.tick(11_000)
      expect(await get(hono, '/s')).toMatchObject({ cache: 'MISS', body: 'body 2' })
      fake.tick(11_000)
      failing = true
      expect(await get(hono, '/s')).toMatchObject({ status: 502, cache: 'MISS' })
    })

    it('streams a body over cacheMaxBodyBytes through intact without storing it', async () => {
      const upstream = fakeUpstream(() => new Response(streamed(50_000, 4_096)))
      const hono = app({ cacheTtl: 60, cacheMaxBodyBytes: 10_000 }, upstream)
      const first = await hono.request('/big')
      expect(first.headers.get('x-cache')).toBe('MISS')
      const bytes = new Uint8Array(await first.arrayBuffer())
      expect(bytes.length).toBe(50_000)
      expect(bytes.every((b, i) => b === i % 251)).toBe(true)
      expect((await get(hono, '/big')).cache).toBe('MISS')
      expect(upstream.calls).toBe(2)

      const declared = fakeUpstream(() => new Response('x'.repeat(20_000), { headers: { 'content-length': '20000' } }))
      const known = app({ cacheTtl: 60, cacheMaxBodyBytes: 10_000 }, declared)
      expect((await get(known, '/big2')).body.length).toBe(20_000)
      expect((await get(known, '/big2')).cache).toBe('MISS')
    })

    it('stores a streamed body within the bound and serves it whole', async () => {
      const upstream = fakeUpstream(() => new Response(streamed(8_000, 1_000)))
      const hono = app({ cacheTtl: 60, cacheMaxBodyBytes: 10_000 }, upstream)
      expect((await get(hono, '/chunked')).body.length).toBe(8_000)
      const hit = await hono.request('/chunked')
      expect(hit.headers.get('x-cache')).toBe('HIT')
      expect(hit.headers.get('content-length')).toBe('8000')
      const bytes = new Uint8Array(await hit.arrayBuffer())
      expect(bytes.every((b, i) => b === i % 251)).toBe(true)
    })

    it("lets a shorter upstream max-age or s-maxage win over cacheTtl, counting the upstream's Age", async () => {
      const upstream = fakeUpstream((req) => {
        const cc = new URL(req.url).pathname === '/s' ? 'max-age=600, s-maxage=5' : 'max-age=5'
        return new Response('x', { headers: { 'cache-control': cc, age: req.url.endsWith('aged') ? '3' : '0' } })
      })
      const hono = app({ cacheTtl: 300 }, upstream)
      for (const path of ['/m', '/s']) {
        await get(hono, path)
        fake.tick(4_000)
        expect((await get(hono, path)).cache).toBe('HIT')
        fake.tick(2_000)
        expect((await get(hono, path)).cache).toBe('MISS')
      }
      await get(hono, '/aged')
      fake.tick(2_500)
      expect((await get(hono, '/aged')).cache).toBe('MISS')
      expect(upstream.calls).toBe(6)
    })

    it('goes on uncached when the store fails', async () => {
      const failing: CacheStore = {
        get: () => Promise.reject(new Error('store down')),
        set: () => Promise.reject(new Error('store down')),
        delete: () => Promise.reject(new Error('store down')),
        purge: () => Promise.reject(new Error('store down')),
        size: () => Promise.reject(new Error('store down')),
        close: () => Promise.resolve(),
      }
      const upstream = fakeUpstream()
      const hono = app({ cacheTtl: 60 }, upstream, failing)
      expect(await get(hono, '/x')).toMatchObject({ status: 200, cache: 'MISS', body: 'body 1' })
      expect(await get(hono, '/x')).toMatchObject({ status: 200, cache: 'MISS', body: 'body 2' })
      // Two failed reads and at least one failed write, each reported.
      await until(() => storeErrors.length >= 3)
    })
  })
}

describeCacheStage('memory', async (clock) => ({ store: new MemoryCacheStore({ clock }), cleanup: async () => {} }))

describe.skipIf(!redisAvailable())('on Redis', () => {
  const db = useRedis()

  describeCacheStage('redis', async () => {
    // Redis's clock cannot be faked: its TTLs (ttl + staleIfError) outlast each test; freshness comes from the fake clock.
    const store = new RedisCacheStore(db.redis, { prefix: `t-${randomUUID()}` })
    return { store, cleanup: async () => void (await store.purge()) }
  })
})
