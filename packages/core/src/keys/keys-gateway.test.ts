import { afterEach, describe, expect, it } from 'vitest'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'

const h = createHarness()
afterEach(() => h.close())

describe('API keys through the gateway', () => {
  it('guards requireAuth routes, strips the key before forwarding and exposes only the key id', async () => {
    const up = await h.upstream()
    const logger = captureLogger()
    const seenIds: Array<string | undefined> = []
    const { url, gateway } = await h.gateway(
      (g) => {
        g.registerRoute('/api/users', up.url, { requireAuth: true })
        g.registerRoute('/public', up.url)
        g.addMiddleware(async (c, next) => {
          await next()
          seenIds.push(c.get('apiKey')?.id)
        })
      },
      { logger },
    )
    const key = await gateway.apiKeyManager.createApiKey('Basic App')
    const [info] = await gateway.apiKeyManager.listApiKeys()

    const missing = await rawRequest(url, '/api/users')
    expect([missing.status, missing.json().error.code]).toEqual([401, 'missing_api_key'])
    const wrong = await rawRequest(url, '/api/users', { headers: { 'x-api-key': key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') } })
    expect([wrong.status, wrong.json().error.code]).toEqual([401, 'invalid_api_key'])
    expect(wrong.headers['www-authenticate']).toContain('Bearer')

    const viaHeader = await rawRequest(url, '/api/users', { headers: { 'x-api-key': key } })
    const viaBearer = await rawRequest(url, '/api/users', { headers: { authorization: `Bearer ${key}` } })
    expect([viaHeader.status, viaBearer.status]).toEqual([200, 200])
    for (const request of up.received) {
      expect(request.headers['x-api-key']).toBeUndefined()
      expect(request.headers.authorization).toBeUndefined()
    }
    // Custom middleware runs before auth, so it sees the key id once next() returns.
    expect(seenIds.filter(Boolean)).toEqual([info!.id, info!.id])

    await gateway.apiKeyManager.revokeApiKey(info!.id)
    expect((await rawRequest(url, '/api/users', { headers: { 'x-api-key': key } })).status).toBe(401)
    expect(logger.lines.join('\n')).not.toContain(key)
  })
})

describe('admin API', () => {
  it('is absent (404) without an admin token, even under a catch-all route', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/', up.url))
    expect((await rawRequest(url, '/_admin/keys')).status).toBe(404)
    expect(up.count()).toBe(0)
  })

  it('issues keys that work on auth routes, and drains targets, behind the bearer token', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { requireAuth: true, id: 'api' }), {
      adminToken: 'admin-secret',
    })
    const admin = { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }
    expect((await rawRequest(url, '/_admin/keys', { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
    const created = await rawRequest(url, '/_admin/keys', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'ci' }) })
    expect(created.status).toBe(201)
    const { id, key } = created.json()
    expect((await rawRequest(url, '/api', { headers: { 'x-api-key': key } })).status).toBe(200)
    const listed = (await rawRequest(url, '/_admin/keys', { headers: admin })).json()
    expect(JSON.stringify(listed)).not.toContain(key)
    expect(JSON.stringify(listed)).toContain(id)
    const bad = await rawRequest(url, '/_admin/keys', { method: 'POST', headers: admin, body: '{"name":' })
    expect(bad.status).toBe(400)
    const routes = (await rawRequest(url, '/_admin/routes', { headers: admin })).json()
    expect(JSON.stringify(routes)).toContain('"id":"api"')
    const drained = await rawRequest(url, '/_admin/routes/api/targets/0/drain', { method: 'POST', headers: admin })
    expect(drained.status).toBe(200)
    const noTarget = await rawRequest(url, '/api', { headers: { 'x-api-key': key } })
    expect(noTarget.json().error.code).toBe('no_healthy_upstream')
  })
})
