// The admin API on a real Hono app with fake gateway functions: auth, every endpoint, every 400/401/404.
import { Hono } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../clock.js'
import { APIKeyManager } from '../keys/api-key-manager.js'
import { adminApi, type AdminDeps } from './admin-api.js'

const TOKEN = 'admin-token-0123456789'
const T0 = Date.UTC(2026, 0, 1)

interface Calls {
  tiers: [string, string][]
  purges: (string | undefined)[]
  drains: [string, number, boolean][]
}

const makeDeps = (apiKeys: APIKeyManager, clock: Clock, calls: Calls): AdminDeps => ({
  adminToken: TOKEN,
  apiKeys,
  clock,
  maxBodyBytes: 8 * 1024,
  validateRateLimit: (value) => {
    const rpm = (value as { requestsPerMinute?: unknown }).requestsPerMinute
    return rpm !== undefined && (typeof rpm !== 'number' || rpm <= 0) ? 'rateLimit.requestsPerMinute must be a positive number' : undefined
  },
  isTier: (name) => ['free', 'basic', 'premium'].includes(name),
  setClientTier: (id, tier) => void calls.tiers.push([id, tier]),
  listRoutes: () => [{ id: 'api-users', prefix: '/api/users' }],
  circuitBreakers: () => ({ 'http://127.0.0.1:8001': { state: 'CLOSED', failures: 0 } }),
  purgeCache: async (prefix) => {
    calls.purges.push(prefix)
    return prefix ? 2 : 7
  },
  drainTarget: (routeId, index, drain) => {
    calls.drains.push([routeId, index, drain])
    return routeId === 'api-users' && index < 2
  },
})

describe('adminApi', () => {
  let now: number
  let manager: APIKeyManager
  let calls: Calls
  let app: Hono

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })
  const error = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error

  beforeEach(() => {
    now = T0
    const clock: Clock = { now: () => now }
    manager = new APIKeyManager({ clock })
    calls = { tiers: [], purges: [], drains: [] }
    app = adminApi(makeDeps(manager, clock, calls))
  })

  it('refuses to exist without a token', () => {
    expect(() => adminApi({ ...makeDeps(manager, { now: () => now }, calls), adminToken: '' })).toThrow(/adminToken/)
  })

  describe('auth', () => {
    const wrong: [string, Record<string, string>][] = [
      ['no Authorization header', {}],
      ['a wrong token', { authorization: 'Bearer nope' }],
      ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
      ['the token with more after it', { authorization: `Bearer ${TOKEN}x` }],
      ['another scheme', { authorization: `Basic ${TOKEN}` }],
      ['an empty bearer', { authorization: 'Bearer ' }],
    ]
    for (const [label, headers] of wrong) {
      it(`answers 401 unauthorized for ${label}`, async () => {
        for (const [method, path] of [
          ['GET', '/keys'],
          ['POST', '/keys'],
          ['DELETE', '/cache'],
          ['GET', '/nowhere'],
        ] as const) {
          const res = await app.request(path, { method, headers, ...(method === 'POST' ? { body: '{"name":"x"}' } : {}) })
          expect(res.status).toBe(401)
          expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tollgate-admin"')
          expect((await error(res)).code).toBe('unauthorized')
        }
        expect(await manager.listApiKeys()).toEqual([])
        expect(calls.purges).toEqual([])
      })
    }

    it('accepts the token case-insensitively on the scheme and marks answers no-store', async () => {
      const res = await app.request('/keys', { headers: { authorization: `bearer ${TOKEN}` } })
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
    })
  })

  describe('keys', () => {
    it('POST /keys issues a key: 201 with the key shown once', async () => {
      const res = await call('POST', '/keys', {
        name: 'Premium App',
        rateLimit: { requestsPerMinute: 1000 },
        tier: 'premium',
        expiresAt: new Date(T0 + 86_400_000).toISOString(),
        metadata: { owner: 'ann' },
      })
      expect(res.status).toBe(201)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const body = (await res.json()) as { id: string; key: string }
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9A-Za-z]{12}$/),
        key: expect.stringMatching(/^tg_/),
        name: 'Premium App',
        status: 'active',
        createdAt: T0,
        expiresAt: T0 + 86_400_000,
        rateLimit: { requestsPerMinute: 1000 },
        tier: 'premium',
        metadata: { owner: 'ann' },
      })
      expect(await manager.validateApiKey(body.key)).toMatchObject({ id: body.id, tier: 'premium' })

      const minimal = await call('POST', '/keys', { name: 'Basic', expiresAt: T0 + 1 })
      expect(minimal.status).toBe(201)
      expect(await minimal.json()).toMatchObject({ name: 'Basic', expiresAt: T0 + 1 })
    })

    const badBodies: [string, unknown, string][] = [
      ['an empty body', '', 'body: expected a JSON object'],
      ['invalid JSON', '{"name": ', 'body: invalid JSON'],
      ['a JSON array', '[{"name":"x"}]', 'body: expected a JSON object'],
      ['a JSON string', '"x"', 'body: expected a JSON object'],
      ['no name', {}, 'name: '],
      ['an empty name', { name: '  ' }, 'name: '],
      ['a numeric name', { name: 42 }, 'name: '],
      ['a name over 200 characters', { name: 'x'.repeat(201) }, 'name: '],
      ['an unknown field', { name: 'x', expires_at: 1 }, 'expires_at: unknown field'],
      ['a rateLimit that is not an object', { name: 'x', rateLimit: 5 }, 'rateLimit: expected an object'],
      [
        'a rateLimit the limiter rejects',
        { name: 'x', rateLimit: { requestsPerMinute: -1 } },
        'rateLimit.requestsPerMinute must be a positive number',
      ],
      ['an unknown tier', { name: 'x', tier: 'gold' }, 'tier: unknown tier "gold"'],
      ['a numeric tier', { name: 'x', tier: 3 }, 'tier: '],
      ['an unparseable expiresAt', { name: 'x', expiresAt: 'next week' }, 'expiresAt: expected an ISO 8601'],
      ['an expiresAt of the wrong type', { name: 'x', expiresAt: true }, 'expiresAt: expected an ISO 8601'],
      ['an expiresAt in the past', { name: 'x', expiresAt: T0 }, 'expiresAt: must be in the future'],
      ['metadata that is an array', { name: 'x', metadata: [1] }, 'metadata: expected an object'],
      ['metadata over 4 KiB', { name: 'x', metadata: { blob: 'x'.repeat(4_100) } }, 'metadata: at most 4096 bytes'],
    ]
    for (const [label, body, message] of badBodies) {
      it(`POST /keys answers 400 bad_request naming the field for ${label}`, async () => {
        const res = await call('POST', '/keys', body)
        expect(res.status).toBe(400)
        const { code, message: actual } = await error(res)
        expect(code).toBe('bad_request')
        expect(actual.startsWith(message)).toBe(true)
        expect(await manager.listApiKeys()).toEqual([])
      })
    }

    it('POST /keys answers 413 for a body over the limit', async () => {
      const res = await call('POST', '/keys', { name: 'x', pad: 'x'.repeat(9 * 1024) })
      expect(res.status).toBe(413)
      expect((await error(res)).code).toBe('payload_too_large')
    })

    it('GET /keys lists keys without secrets; GET /keys/:id shows one or 404s', async () => {
      const issued = await manager.createApiKeyWithId('One')
      now += 1
      await manager.createApiKey('Two')
      const res = await call('GET', '/keys')
      const text = await res.text()
      const { keys } = JSON.parse(text) as { keys: { id: string; name: string }[] }
      expect(keys.map((k) => k.name)).toEqual(['One', 'Two'])
      expect(text).not.toContain(issued.key.split('_')[2])
      expect(text).not.toContain('hash')

      const one = await call('GET', `/keys/${issued.id}`)
      expect(one.status).toBe(200)
      expect(await one.json()).toEqual(issued.info)

      const missing = await call('GET', '/keys/nope')
      expect(missing.status).toBe(404)
      expect(await error(missing)).toEqual({ code: 'not_found', message: 'No API key with that id', requestId: expect.any(String) })
    })

    it('DELETE /keys/:id revokes a key at once, 404 for an unknown id', async () => {
      const { id, key } = await manager.createApiKeyWithId('App')
      const res = await call('DELETE', `/keys/${id}`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ id, status: 'revoked' })
      expect(await manager.validateApiKey(key)).toBeNull()
      const missing = await call('DELETE', '/keys/nope')
      expect(missing.status).toBe(404)
      expect((await error(missing)).code).toBe('not_found')
    })

    it('POST /keys/:id/rotate answers the new key; 404 unknown; 409 revoked', async () => {
      const { id, key } = await manager.createApiKeyWithId('App', { requestsPerMinute: 3 })
      const res = await call('POST', `/keys/${id}/rotate`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as { id: string; key: string }
      expect(body.id).toBe(id)
      expect(await manager.validateApiKey(key)).toBeNull()
      expect(await manager.validateApiKey(body.key)).toMatchObject({ id, rateLimit: { requestsPerMinute: 3 } })

      expect((await call('POST', '/keys/nope/rotate')).status).toBe(404)
      await manager.revokeApiKey(id)
      const revoked = await call('POST', `/keys/${id}/rotate`)
      expect(revoked.status).toBe(409)
      expect(await error(revoked)).toEqual({
        code: 'key_inactive',
        message: 'The API key is revoked and cannot be rotated',
        requestId: expect.any(String),
      })
    })
  })

  describe('clients, routes, breakers, cache, targets', () => {
    it('POST /clients/:id/tier sets a tier', async () => {
      const res = await call('POST', '/clients/10.0.0.7/tier', { tier: 'premium' })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ id: '10.0.0.7', tier: 'premium' })
      expect(calls.tiers).toEqual([['10.0.0.7', 'premium']])
    })

    const badTiers: [string, unknown, string][] = [
      ['no body', '', 'body: expected a JSON object'],
      ['invalid JSON', '{tier: premium}', 'body: invalid JSON'],
      ['no tier', {}, 'tier: required'],
      ['an unknown tier', { tier: 'gold' }, 'tier: unknown tier "gold"'],
      ['an unknown field', { tier: 'free', until: 1 }, 'until: unknown field'],
    ]
    for (const [label, body, message] of badTiers) {
      it(`POST /clients/:id/tier answers 400 for ${label}`, async () => {
        const res = await call('POST', '/clients/c1/tier', body)
        expect(res.status).toBe(400)
        const { code, message: actual } = await error(res)
        expect(code).toBe('bad_request')
        expect(actual.startsWith(message)).toBe(true)
        expect(calls.tiers).toEqual([])
      })
    }

    it('GET /routes and GET /circuit-breakers report what the gateway gives', async () => {
      expect(await (await call('GET', '/routes')).json()).toEqual({ routes: [{ id: 'api-users', prefix: '/api/users' }] })
      expect(await (await call('GET', '/circuit-breakers')).json()).toEqual({
        circuitBreakers: { 'http://127.0.0.1:8001': { state: 'CLOSED', failures: 0 } },
      })
    })

    it('DELETE /cache purges all or by prefix; a prefix must be a path', async () => {
      expect(await (await call('DELETE', '/cache')).json()).toEqual({ purged: 7 })
      expect(await (await call('DELETE', '/cache?prefix=/api/users')).json()).toEqual({ purged: 2 })
      const bad = await call('DELETE', '/cache?prefix=api')
      expect(bad.status).toBe(400)
      expect(await error(bad)).toEqual({
        code: 'bad_request',
        message: 'prefix: must be a path starting with "/"',
        requestId: expect.any(String),
      })
      expect(calls.purges).toEqual([undefined, '/api/users'])
    })

    it('drains and restores a target; 404 for an unknown one; 400 for a bad index', async () => {
      let res = await call('POST', '/routes/api-users/targets/1/drain')
      expect(await res.json()).toEqual({ routeId: 'api-users', index: 1, draining: true })
      res = await call('POST', '/routes/api-users/targets/1/undrain')
      expect(await res.json()).toEqual({ routeId: 'api-users', index: 1, draining: false })
      expect(calls.drains).toEqual([
        ['api-users', 1, true],
        ['api-users', 1, false],
      ])

      for (const path of ['/routes/api-users/targets/5/drain', '/routes/other/targets/0/undrain']) {
        res = await call('POST', path)
        expect(res.status).toBe(404)
        expect(await error(res)).toEqual({ code: 'not_found', message: 'No such route or target', requestId: expect.any(String) })
      }
      for (const index of ['x', '-1', '1.5']) {
        res = await call('POST', `/routes/api-users/targets/${index}/drain`)
        expect(res.status).toBe(400)
        expect((await error(res)).message).toBe('index: must be a non-negative integer')
      }
      expect(calls.drains).toHaveLength(4)
    })

    it('answers 404 not_found for an unknown endpoint and 500 without details when a dependency fails', async () => {
      const res = await call('GET', '/nowhere')
      expect(res.status).toBe(404)
      expect((await error(res)).code).toBe('not_found')

      const failing = adminApi({
        ...makeDeps(manager, { now: () => now }, calls),
        listRoutes: () => {
          throw new Error('secret internals')
        },
      })
      const broken = await failing.request('/routes', { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(broken.status).toBe(500)
      expect(await broken.text()).not.toContain('secret internals')
    })
  })

  it('works mounted at /_admin in a parent app', async () => {
    const parent = new Hono()
    parent.route('/_admin', app)
    const res = await parent.request('/_admin/keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ name: 'Mounted' }),
    })
    expect(res.status).toBe(201)
    const bad = await parent.request('/_admin/keys', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{' })
    expect(bad.status).toBe(400)
    expect((await parent.request('/_admin/keys')).status).toBe(401)
  })
})
