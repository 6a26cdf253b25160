// Conditional requests and revalidation through the gateway, against a real upstream that answers conditionals.
import { randomUUID } from 'node:crypto'
import FakeTimers from '@sinonjs/fake-timers'
import { afterEach, describe, expect, it } from 'vitest'
import type { GatewayOptions } from '../options.js'
import type { RouteOptions } from '../routing/route.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { useRedis } from '../testing/redis-fixture.js'
import { redisAvailable } from '../testing/redis-server.js'
import { notModified, updatedHeaders } from './conditional.js'

const h = createHarness()
afterEach(() => h.close())

const LAST_MODIFIED = 'Wed, 01 Jan 2025 00:00:00 GMT'
const BEFORE = 'Tue, 31 Dec 2024 00:00:00 GMT'

/** What the upstream serves now; tests change it between requests. */
interface Representation {
  etag: string
  body: string
  cacheControl: string
  lastModified?: string
  /** Answer with this status instead (a failing upstream). */
  failWith?: number
  /** Held until this resolves (a slow refresh). */
  hold?: Promise<void>
  /** Extra headers on every answer, 304s included. */
  extra?: Record<string, string>
}

interface Seen {
  ifNoneMatch: string | undefined
  ifModifiedSince: string | undefined
  /** What the upstream answered. */
  status: number
}

/** A node:http upstream that counts requests and answers If-None-Match / If-Modified-Since as an origin does. */
const conditionalUpstream = async (initial: Representation) => {
  const state = { current: initial, seen: [] as Seen[], forwardedFor: [] as (string | undefined)[] }
  const up = await h.upstream({
    handler: async (req, res) => {
      const rep = state.current
      const seen: Seen = {
        ifNoneMatch: req.headers['if-none-match'],
        ifModifiedSince: req.headers['if-modified-since'],
        status: 200,
      }
      state.seen.push(seen)
      state.forwardedFor.push(req.headers['x-forwarded-for'] as string | undefined)
      if (rep.hold) await rep.hold
      if (rep.failWith) {
        seen.status = rep.failWith
        res.writeHead(rep.failWith, { 'content-type': 'text/plain' })
        res.end('upstream failure')
        return true
      }
      const headers: Record<string, string> = { etag: rep.etag, 'cache-control': rep.cacheControl, 'content-type': 'text/plain' }
      if (rep.lastModified) headers['last-modified'] = rep.lastModified
      Object.assign(headers, rep.extra)
      const matches =
        seen.ifNoneMatch !== undefined
          ? seen.ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === rep.etag.replace(/^W\//, ''))
          : seen.ifModifiedSince !== undefined &&
            rep.lastModified !== undefined &&
            Date.parse(rep.lastModified) <= Date.parse(seen.ifModifiedSince)
      if (matches) {
        seen.status = 304
        res.writeHead(304, headers)
        res.end()
        return true
      }
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(rep.body) })
      res.end(rep.body)
      return true
    },
  })
  return { up, state }
}

/** Polls (bounded) until `condition` holds. */
const until = async (condition: () => boolean | Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 400 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 5))
  expect(await condition()).toBe(true)
}

describe('notModified (RFC 9110 §13.2.2)', () => {
  const stored = new Headers({ etag: '"v1"', 'last-modified': LAST_MODIFIED })
  it.each([
    [{ 'if-none-match': '"v1"' }, true],
    [{ 'if-none-match': 'W/"v1"' }, true],
    [{ 'if-none-match': '"v0", W/"v1"' }, true],
    [{ 'if-none-match': '*' }, true],
    [{ 'if-none-match': '"v2"' }, false],
    [{ 'if-modified-since': LAST_MODIFIED }, true],
    [{ 'if-modified-since': BEFORE }, false],
    [{ 'if-modified-since': 'not a date' }, false],
    // If-None-Match wins: a matching date does not make up for a tag that does not match.
    [{ 'if-none-match': '"v2"', 'if-modified-since': LAST_MODIFIED }, false],
    [{ 'if-none-match': '"v1"', 'if-modified-since': BEFORE }, true],
  ])('%o → %s', (request, expected) => {
    expect(notModified(new Headers(request), 200, stored)).toBe(expected)
  })

  it('ignores preconditions on a non-2xx entry, and an If-Modified-Since without a stored Last-Modified', () => {
    expect(notModified(new Headers({ 'if-none-match': '*' }), 404, stored)).toBe(false)
    expect(notModified(new Headers({ 'if-modified-since': LAST_MODIFIED }), 200, new Headers({ etag: '"v1"' }))).toBe(false)
  })

  it("updates stored fields from a 304's, keeping the body's framing", () => {
    expect(
      updatedHeaders(
        [
          ['etag', '"v1"'],
          ['content-length', '5'],
          ['cache-control', 'max-age=1'],
          ['x-kept', 'yes'],
        ],
        [
          ['cache-control', 'max-age=60'],
          ['content-length', '0'],
        ],
      ),
    ).toEqual([
      ['etag', '"v1"'],
      ['content-length', '5'],
      ['x-kept', 'yes'],
      ['cache-control', 'max-age=60'],
    ])
  })
})

const describeConditional = (name: string, storeOptions: () => GatewayOptions): void => {
  describe(`conditional requests and revalidation on the ${name} store`, () => {
    const start = async (representation: Representation, route: RouteOptions = { cacheTtl: 300 }, gateway: GatewayOptions = {}) => {
      const fake = FakeTimers.createClock(Date.UTC(2026, 0, 1))
      const { up, state } = await conditionalUpstream(representation)
      const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, route), {
        ...storeOptions(),
        ...gateway,
        clock: { now: () => fake.now },
      })
      const get = (headers: Record<string, string> = {}, method = 'GET') => rawRequest(url, '/api/doc', { headers, method })
      return { fake, up, state, get }
    }

    it('answers If-None-Match and If-Modified-Since on a fresh entry with 304 and the headers a 304 carries', async () => {
      const { state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl: 'max-age=60', lastModified: LAST_MODIFIED })
      expect((await get()).headers['x-cache']).toBe('MISS')
      const conditionals: Record<string, string>[] = [
        { 'if-none-match': '"v1"' },
        { 'if-none-match': 'W/"v1", "other"' },
        { 'if-none-match': '*' },
        { 'if-modified-since': LAST_MODIFIED },
      ]
      for (const conditional of conditionals) {
        const answer = await get(conditional)
        expect(answer.status).toBe(304)
        expect(answer.body).toBe('')
        expect(answer.headers).toMatchObject({
          'x-cache': 'HIT',
          etag: '"v1"',
          'cache-control': 'max-age=60',
          'last-modified': LAST_MODIFIED,
          age: '0',
        })
        expect(answer.headers['content-length']).toBeUndefined()
        // (Content-Type is @hono/node-server's default for any response without one, not the entry's.)
      }
      // If-None-Match wins over If-Modified-Since; a stale client copy gets the whole entry.
      const precedence = await get({ 'if-none-match': '"v0"', 'if-modified-since': LAST_MODIFIED })
      expect([precedence.status, precedence.headers['x-cache'], precedence.body]).toEqual([200, 'HIT', 'hello v1'])
      const older = await get({ 'if-modified-since': BEFORE })
      expect([older.status, older.body]).toEqual([200, 'hello v1'])
      const head = await get({ 'if-none-match': '"v1"' }, 'HEAD')
      expect([head.status, head.headers['x-cache']]).toEqual([304, 'HIT'])
      expect(state.seen).toHaveLength(1)
    })

    it("does not forward a client's conditional on a miss: the 200 is stored and the client still gets its 304", async () => {
      const { state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl: 'max-age=60' })
      const first = await get({ 'if-none-match': '"v1"' })
      expect([first.status, first.headers['x-cache'], first.body]).toEqual([304, 'MISS', ''])
      expect(state.seen).toEqual([{ ifNoneMatch: undefined, ifModifiedSince: undefined, status: 200 }])
      const second = await get()
      expect([second.status, second.headers['x-cache'], second.body]).toEqual([200, 'HIT', 'hello v1'])
      expect(state.seen).toHaveLength(1)
    })

    it("revalidates an expired entry with its validators; the upstream's 304 refreshes it without the body", async () => {
      const { fake, state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl: 'max-age=10', lastModified: LAST_MODIFIED })
      await get()
      fake.tick(11_000)
      state.current = { ...state.current, cacheControl: 'max-age=20' }
      const revalidated = await get()
      expect(revalidated).toMatchObject({ status: 200, body: 'hello v1' })
      expect(revalidated.headers).toMatchObject({ 'x-cache': 'REVALIDATED', 'cache-control': 'max-age=20', age: '0' })
      expect(state.seen[1]).toEqual({ ifNoneMatch: '"v1"', ifModifiedSince: LAST_MODIFIED, status: 304 })
      // Fresh again for the 304's max-age=20.
      fake.tick(15_000)
      expect((await get()).headers['x-cache']).toBe('HIT')
      // A client holding the entry gets a 304 for the revalidation too.
      fake.tick(6_000)
      const conditional = await get({ 'if-none-match': '"v1"' })
      expect([conditional.status, conditional.headers['x-cache']]).toEqual([304, 'REVALIDATED'])
      expect(state.seen.map((s) => s.status)).toEqual([200, 304, 304])
    })

    it('sends one conditional request for concurrent requests that find the entry expired', async () => {
      const { fake, state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl: 'max-age=10' })
      await get()
      fake.tick(11_000)
      const answers = await Promise.all(Array.from({ length: 20 }, () => get()))
      expect(answers.every((a) => a.status === 200 && a.body === 'hello v1')).toBe(true)
      const statuses = answers.map((a) => a.headers['x-cache'])
      expect(statuses.filter((s) => s === 'REVALIDATED')).toHaveLength(1)
      expect(statuses.filter((s) => s === 'HIT')).toHaveLength(19)
      expect(state.seen.map((s) => s.status)).toEqual([200, 304])
    })

    it('replaces an expired entry when the upstream answers the revalidation with a 200', async () => {
      const { fake, state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl: 'max-age=10' })
      await get()
      fake.tick(11_000)
      state.current = { etag: '"v2"', body: 'hello v2', cacheControl: 'max-age=10' }
      const replaced = await get()
      expect([replaced.status, replaced.headers['x-cache'], replaced.body, replaced.headers.etag]).toEqual([
        200,
        'MISS',
        'hello v2',
        '"v2"',
      ])
      expect(state.seen[1]?.ifNoneMatch).toBe('"v1"')
      const hit = await get()
      expect([hit.headers['x-cache'], hit.body]).toEqual(['HIT', 'hello v2'])
      expect(state.seen).toHaveLength(2)
    })

    it('serves stale within stale-while-revalidate and refreshes the entry once in the background', async () => {
      // Loopback is a trusted proxy here: the clients' X-Forwarded-For is believed, the refresh must not inherit it.
      const { fake, state, get } = await start(
        { etag: '"v1"', body: 'hello v1', cacheControl: 'max-age=10, stale-while-revalidate=30' },
        { cacheTtl: 300 },
        { trustProxy: ['127.0.0.1'] },
      )
      await get()
      fake.tick(11_000)
      let release!: () => void
      const hold = new Promise<void>((resolve) => (release = resolve))
      state.current = { etag: '"v2"', body: 'hello v2', cacheControl: 'max-age=10, stale-while-revalidate=30', hold }
      const stale = []
      for (let i = 0; i < 5; i++) stale.push(await get({ 'x-forwarded-for': '203.0.113.9' }))
      expect(stale.map((r) => `${r.status} ${r.headers['x-cache']} ${r.body}`)).toEqual(Array(5).fill('200 STALE hello v1'))
      // One background refresh, conditional on the stored ETag, however many requests found the entry stale.
      await until(() => state.seen.length === 2)
      expect(state.seen[1]?.ifNoneMatch).toBe('"v1"')
      // The refresh comes from the gateway itself, not from an address the client claimed.
      expect(state.forwardedFor[1]).toBe('127.0.0.1')
      release()
      await until(async () => (await get()).headers['x-cache'] === 'HIT')
      const refreshed = await get()
      expect([refreshed.body, refreshed.headers.etag]).toEqual(['hello v2', '"v2"'])
      expect(state.seen).toHaveLength(2)
      // Past the window, the entry is revalidated in the foreground.
      fake.tick(41_000)
      state.current = { ...state.current, hold: undefined }
      expect((await get()).headers['x-cache']).toBe('REVALIDATED')
    })

    it('never serves a must-revalidate entry stale: no stale-while-revalidate, no staleIfError', async () => {
      const cacheControl = 'max-age=10, must-revalidate, stale-while-revalidate=30'
      const { fake, state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl }, { cacheTtl: 300, staleIfError: 60 })
      await get()
      fake.tick(11_000)
      expect((await get()).headers['x-cache']).toBe('REVALIDATED')
      fake.tick(11_000)
      state.current = { ...state.current, failWith: 503 }
      const failed = await get()
      expect([failed.status, failed.headers['x-cache']]).toEqual([503, 'MISS'])
    })

    it("drops an entry whose 304 makes it the caller's (Set-Cookie, private), passing the cookie to that caller only", async () => {
      const { fake, state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl: 'max-age=10' })
      await get()
      fake.tick(11_000)
      state.current = { ...state.current, extra: { 'set-cookie': 'session=abc' } }
      const revalidated = await get()
      expect([revalidated.status, revalidated.headers['x-cache'], revalidated.body]).toEqual([200, 'REVALIDATED', 'hello v1'])
      expect(revalidated.headers['set-cookie']).toEqual(['session=abc'])
      state.current = { ...state.current, extra: undefined, cacheControl: 'private, max-age=10' }
      // Dropped: the next request is a whole miss, and its private answer is not stored either.
      const next = await get()
      expect([next.headers['x-cache'], next.headers['set-cookie'], state.seen[2]?.ifNoneMatch]).toEqual(['MISS', undefined, undefined])
      expect((await get()).headers['x-cache']).toBe('MISS')
    })

    it('revalidates a no-cache entry before every use', async () => {
      const { state, get } = await start({ etag: '"v1"', body: 'hello v1', cacheControl: 'no-cache' })
      expect((await get()).headers['x-cache']).toBe('MISS')
      for (let i = 0; i < 3; i++) {
        const answer = await get()
        expect([answer.status, answer.headers['x-cache'], answer.body]).toEqual([200, 'REVALIDATED', 'hello v1'])
      }
      const conditional = await get({ 'if-none-match': '"v1"' })
      expect([conditional.status, conditional.headers['x-cache']]).toEqual([304, 'REVALIDATED'])
      expect(state.seen.map((s) => `${s.ifNoneMatch} ${s.status}`)).toEqual([
        'undefined 200',
        '"v1" 304',
        '"v1" 304',
        '"v1" 304',
        '"v1" 304',
      ])
    })
  })
}

describeConditional('memory', () => ({}))

describe.skipIf(!redisAvailable())('on Redis', () => {
  const db = useRedis()
  describeConditional('redis', () => ({ redisUrl: db.server.url, keyPrefix: `cond-${randomUUID()}` }))
})
