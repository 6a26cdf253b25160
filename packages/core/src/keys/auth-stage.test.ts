// The auth stage and identifyCaller on a real Hono app: every 401, what later stages see, headers to strip.
import { Hono, type MiddlewareHandler } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../clock.js'
import type { Route } from '../routing/route.js'
import { APIKeyManager } from './api-key-manager.js'
import { authStage, identifyCaller } from './auth-stage.js'
import { MemoryKeyStore } from './memory-key-store.js'

const routeWith = (requireAuth?: boolean): Route => ({ raw: requireAuth === undefined ? {} : { requireAuth } }) as unknown as Route

/** An app whose handler echoes what the stage left in the context. */
const appWith = (stage: MiddlewareHandler, before?: MiddlewareHandler): Hono => {
  const app = new Hono()
  if (before) app.use('*', before)
  app.use('*', stage)
  app.get('*', (c) =>
    c.json({ apiKey: c.get('apiKey') ?? null, clientId: c.get('clientId') ?? null, drop: c.get('dropRequestHeaders') ?? null }),
  )
  return app
}

describe('authStage', () => {
  let now: number
  let manager: APIKeyManager
  let store: MemoryKeyStore
  let app: Hono

  beforeEach(() => {
    now = Date.UTC(2026, 0, 1)
    const clock: Clock = { now: () => now }
    store = new MemoryKeyStore()
    manager = new APIKeyManager({ store, clock })
    app = appWith(authStage(routeWith(true), { manager })!)
  })

  it('is absent on routes that do not require auth', () => {
    expect(authStage(routeWith(), { manager })).toBeUndefined()
    expect(authStage(routeWith(false), { manager })).toBeUndefined()
  })

  it('answers 401 missing_api_key when no key is sent', async () => {
    for (const headers of [{}, { 'x-api-key': '' }, { authorization: 'Basic dXNlcjpwYXNz' }] as Record<string, string>[]) {
      const res = await app.request('/api', { headers })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: { code: 'missing_api_key', message: expect.any(String), requestId: expect.any(String) } })
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tollgate"')
    }
  })

  it('answers 401 invalid_api_key for malformed, unknown, revoked and expired keys', async () => {
    const revoked = await manager.createApiKeyWithId('Revoked')
    await manager.revokeApiKey(revoked.id)
    const expired = await manager.createApiKey('Expired', undefined, { expiresAt: now + 1_000 })
    now += 1_000
    const unknown = manager.format.build(manager.format.newId())
    for (const key of ['garbage', `${unknown}x`, unknown, revoked.key, expired]) {
      for (const headers of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }] as Record<string, string>[]) {
        const res = await app.request('/api', { headers })
        expect(res.status).toBe(401)
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tollgate", error="invalid_token"')
        const text = await res.text()
        expect(JSON.parse(text)).toEqual({
          error: { code: 'invalid_api_key', message: 'The API key is not valid', requestId: expect.any(String) },
        })
        expect(text).not.toContain(key)
      }
    }
  })

  it('lets a valid X-API-Key through with the key identity and marks the header for removal', async () => {
    const { id, key } = await manager.createApiKeyWithId('App', { requestsPerMinute: 100 }, { tier: 'premium', metadata: { secret: 'no' } })
    const res = await app.request('/api/users', { headers: { 'x-api-key': key } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      apiKey: { id, name: 'App', rateLimit: { requestsPerMinute: 100 }, tier: 'premium' },
      clientId: id,
      drop: ['x-api-key'],
    })
  })

  it('accepts Authorization: Bearer and then strips Authorization too, after headers others marked', async () => {
    const { id, key } = await manager.createApiKeyWithId('App')
    const earlier: MiddlewareHandler = async (c, next) => {
      c.set('dropRequestHeaders', ['x-internal'])
      await next()
    }
    const res = await appWith(authStage(routeWith(true), { manager })!, earlier).request('/api', {
      headers: { authorization: `bearer   ${key}` },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      apiKey: { id, name: 'App' },
      clientId: id,
      drop: ['x-internal', 'x-api-key', 'authorization'],
    })
  })

  it('answers 503 store_unavailable when the store cannot be read', async () => {
    const key = await manager.createApiKey('App')
    manager.clearCache()
    store.get = async () => {
      throw new Error('down')
    }
    const res = await app.request('/api', { headers: { 'x-api-key': key } })
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('store_unavailable')
  })
})

describe('identifyCaller', () => {
  let manager: APIKeyManager
  let app: Hono

  beforeEach(() => {
    manager = new APIKeyManager()
    app = appWith(identifyCaller({ manager }))
  })

  it('identifies a caller with a valid key and strips it', async () => {
    const { id, key } = await manager.createApiKeyWithId('App', undefined, { tier: 'free' })
    const res = await app.request('/x', { headers: { authorization: `Bearer ${key}` } })
    expect(await res.json()).toEqual({ apiKey: { id, name: 'App', tier: 'free' }, clientId: id, drop: ['x-api-key', 'authorization'] })
  })

  it('never rejects: no key, an invalid gateway key, or a foreign credential pass through', async () => {
    const unknown = manager.format.build(manager.format.newId())
    let res = await app.request('/x')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ apiKey: null, clientId: null, drop: null })

    res = await app.request('/x', { headers: { 'x-api-key': unknown } })
    expect(res.status).toBe(200)
    // A well-formed gateway key is never forwarded upstream, valid or not.
    expect(await res.json()).toEqual({ apiKey: null, clientId: null, drop: ['x-api-key'] })

    res = await app.request('/x', { headers: { authorization: 'Bearer upstream-token' } })
    expect(await res.json()).toEqual({ apiKey: null, clientId: null, drop: null })
  })
})
