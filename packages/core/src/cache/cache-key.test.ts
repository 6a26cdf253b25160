// Cache keys and cacheability rules as pure functions.
import { describe, expect, it } from 'vitest'
import { baseCacheKey, normalizeAcceptEncoding, parseVary, purgePrefixes, sortedQuery, variantCacheKey } from './cache-key.js'
import { bypassReason, parseCacheControl, responseStorability, storedHeaders } from './cacheability.js'
import { routeOptionsSchema } from '../option-schemas.js'
import { parseOptions } from '../schema/parse.js'
import { resolveCacheOptions, type ResolvedCacheOptions } from './options.js'

const options = (extra: Partial<ResolvedCacheOptions> = {}): ResolvedCacheOptions => ({
  ...resolveCacheOptions({ cacheTtl: 60 })!,
  ...extra,
})

describe('cache keys', () => {
  const key = (path: string, search: string, headers: Record<string, string> = {}, keyId?: string, varyOnEncoding = true) =>
    baseCacheKey({ path, search, headers: new Headers(headers), varyOnEncoding, keyId })

  it('sorts the query by name, keeping the order of repeated names', () => {
    expect(sortedQuery('b=2&a=1&a=0')).toBe('a=1&a=0&b=2')
    expect(sortedQuery('')).toBe('')
    expect(key('/x', 'b=2&a=1')).toBe(key('/x', 'a=1&b=2'))
    expect(key('/x', 'a=1&a=2')).not.toBe(key('/x', 'a=2&a=1'))
  })

  it('starts with the path and query so purges by path find it', () => {
    expect(key('/api/users/7', 'x=1').startsWith('/api/users/7?x=1|GET|')).toBe(true)
    expect(key('/api/users', '').startsWith('/api/users?|')).toBe(true)
  })

  it('normalises Accept-Encoding', () => {
    expect(normalizeAcceptEncoding('gzip, deflate, br')).toBe('br,deflate,gzip')
    expect(normalizeAcceptEncoding('BR;q=0.5, x-gzip, identity;q=0')).toBe('br,gzip')
    expect(normalizeAcceptEncoding(null)).toBe('')
    expect(key('/x', '', { 'accept-encoding': 'gzip' })).not.toBe(key('/x', ''))
    expect(key('/x', '', { 'accept-encoding': 'gzip' }, undefined, false)).toBe(key('/x', '', {}, undefined, false))
  })

  it('separates callers and poisoning headers', () => {
    expect(key('/x', '', {}, 'A')).not.toBe(key('/x', '', {}, 'B'))
    expect(key('/x', '', {}, 'A')).not.toBe(key('/x', ''))
    expect(key('/x', '', {}, 'a|k=B')).not.toBe(key('/x', '', {}, 'a'))
    expect(key('/x', '', { 'x-forwarded-host': 'evil' })).not.toBe(key('/x', ''))
    expect(key('/x', '', { host: 'a.example' })).not.toBe(key('/x', '', { host: 'b.example' }))
  })

  it('keys the steering headers a route forwards, and only those', () => {
    const keyed = (headers: Record<string, string>, keyHeaders: string[]) =>
      baseCacheKey({ path: '/x', search: '', headers: new Headers(headers), varyOnEncoding: true, keyId: undefined, keyHeaders })
    expect(keyed({ 'x-original-url': '/admin' }, ['x-original-url'])).not.toBe(keyed({}, ['x-original-url']))
    expect(keyed({ 'x-original-url': '/a' }, ['x-original-url'])).not.toBe(keyed({ 'x-original-url': '/b' }, ['x-original-url']))
    // Stripped before forwarding when not listed, so it need not split the key.
    expect(keyed({ 'x-original-url': '/admin' }, [])).toBe(keyed({}, []))
  })

  it('parses Vary and keys variants on the named headers only', () => {
    expect(parseVary('Accept-Language, accept-encoding,Accept-Language')).toEqual(['accept-encoding', 'accept-language'])
    expect(parseVary('Origin, *')).toBe('*')
    expect(parseVary(null)).toEqual([])
    const variant = (headers: Record<string, string>) => variantCacheKey('b', ['accept-language'], new Headers(headers))
    expect(variant({ 'accept-language': 'en' })).toBe(variant({ 'accept-language': 'en', 'user-agent': 'x' }))
    expect(variant({ 'accept-language': 'en' })).not.toBe(variant({ 'accept-language': 'fr' }))
    expect(variant({ 'accept-language': '' })).not.toBe(variant({}))
  })

  it('turns a purge path into segment-bounded prefixes', () => {
    expect(purgePrefixes('/api/users')).toEqual(['/api/users?', '/api/users/'])
    expect(purgePrefixes('/api/users/')).toEqual(['/api/users?', '/api/users/'])
    expect(purgePrefixes('api')).toEqual(['/api?', '/api/'])
    expect(purgePrefixes('/')).toEqual([''])
  })
})

describe('cacheability', () => {
  it('parses Cache-Control with quoted lists', () => {
    const cc = parseCacheControl('Max-Age=60, no-cache="set-cookie, x", s-maxage="5", public')
    expect(cc.get('max-age')).toBe('60')
    expect(cc.get('no-cache')).toBe('set-cookie, x')
    expect(cc.get('s-maxage')).toBe('5')
    expect(cc.get('public')).toBe(true)
  })

  it('decides which requests bypass', () => {
    const h = (headers: Record<string, string>) => new Headers(headers)
    expect(bypassReason(h({}), options(), undefined)).toBeUndefined()
    expect(bypassReason(h({ authorization: 'Bearer x' }), options(), undefined)).toBe('authorization')
    expect(bypassReason(h({ authorization: 'Bearer x' }), options({ requireAuth: true }), { id: 'a', name: 'a' })).toBeUndefined()
    expect(bypassReason(h({}), options({ requireAuth: true }), undefined)).toBe('no-api-key')
    expect(bypassReason(h({}), options({ requireAuth: true, shared: true }), undefined)).toBeUndefined()
    expect(bypassReason(h({ 'cache-control': 'no-cache, no-store' }), options(), undefined)).toBe('no-store')
    expect(bypassReason(h({ cookie: 'a=1' }), options(), undefined)).toBe('cookie')
    expect(bypassReason(h({ cookie: 'a=1' }), options({ requireAuth: true, shared: true }), undefined)).toBe('cookie')
    expect(bypassReason(h({ cookie: 'a=1' }), options({ requireAuth: true }), { id: 'a', name: 'a' })).toBeUndefined()
  })

  it('caps the route TTL by the upstream freshness and Age', () => {
    const now = Date.UTC(2026, 0, 1)
    const ttl = (headers: Record<string, string>, status = 200) => {
      const verdict = responseStorability(new Response(null, { status, headers }), options(), now)
      return verdict.store ? verdict.ttlMs : verdict.reason
    }
    expect(ttl({})).toBe(60_000)
    expect(ttl({ 'cache-control': 'max-age=600' })).toBe(60_000)
    expect(ttl({ 'cache-control': 'max-age=10' })).toBe(10_000)
    expect(ttl({ 'cache-control': 'max-age=600, s-maxage=5' })).toBe(5_000)
    expect(ttl({ 'cache-control': 'max-age=10', age: '4' })).toBe(6_000)
    expect(ttl({ 'cache-control': 'max-age=10', age: '11' })).toBe('expired')
    expect(ttl({ expires: new Date(now + 20_000).toUTCString(), date: new Date(now).toUTCString() })).toBe(20_000)
    expect(ttl({ expires: 'garbage' })).toBe('expired')
    expect(ttl({ 'cache-control': 'public, no-cache' })).toBe('no-cache')
    expect(ttl({}, 501)).toBe('status 501')
    expect(ttl({ 'content-length': '2000000' })).toBe('too large')
  })

  it('keeps end-to-end headers only', () => {
    const headers = new Headers({ connection: 'x-hop', 'x-hop': '1', 'keep-alive': 't', 'content-type': 'a/b', age: '3', etag: '"1"' })
    expect(storedHeaders(headers)).toEqual([
      ['content-type', 'a/b'],
      ['etag', '"1"'],
    ])
  })
})

describe('cache options', () => {
  it('applies defaults and converts to ms', () => {
    expect(resolveCacheOptions({ cacheTtl: 1.5, staleIfError: 2 })).toEqual({
      ttlMs: 1_500,
      staleIfErrorMs: 2_000,
      shared: false,
      varyOnEncoding: true,
      maxBodyBytes: 1024 * 1024,
      keyHeaders: [],
      forwardGetBody: false,
      requireAuth: false,
    })
    expect(resolveCacheOptions({})).toBeUndefined()
    expect(resolveCacheOptions({ cacheTtl: 1, cacheKeyHeaders: ['X-Original-URL', 'x-original-url'] })?.keyHeaders).toEqual([
      'x-original-url',
    ])
  })

  it.each([
    [{ cacheTtl: -1 }, 'cacheTtl'],
    [{ cacheTtl: Number.NaN }, 'cacheTtl'],
    [{ cacheTtl: '60' }, 'cacheTtl'],
    [{ cacheTtl: 60, staleIfError: Infinity }, 'staleIfError'],
    [{ cacheTtl: 60, cacheVaryOnEncoding: 1 }, 'cacheVaryOnEncoding'],
    [{ cacheTtl: 60, cacheMaxBodyBytes: -5 }, 'cacheMaxBodyBytes'],
    [{ cacheShared: true }, 'cacheShared'],
    [{ cacheTtl: 60, cacheKeyHeaders: 'x-host' }, 'cacheKeyHeaders'],
    [{ cacheTtl: 60, cacheKeyHeaders: ['bad header'] }, 'cacheKeyHeaders'],
    [{ cacheTtl: 60, forwardGetBody: 'yes' }, 'forwardGetBody'],
    [{ forwardGetBody: true }, 'forwardGetBody'],
  ])('rejects %o naming %s', (raw, field) => {
    expect(() => parseOptions(routeOptionsSchema, raw, 'options')).toThrow(new RegExp(`^options\\.${field}[ [.]`))
  })
})
