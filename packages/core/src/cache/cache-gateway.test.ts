import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'

const h = createHarness()
afterEach(() => h.close())

describe('response cache through the gateway', () => {
  it('serves repeats from the cache, counts hits and misses, and purges over the admin API', async () => {
    let version = 1
    const up = await h.upstream({
      handler: (req, res) => {
        const body = JSON.stringify({ url: req.url, version })
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        res.end(body)
        return true
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/api/catalog', up.url, { cacheTtl: 300, id: 'catalog' }), {
      adminToken: 'admin-token-for-tests',
    })
    const first = await rawRequest(url, '/api/catalog/items?b=2&a=1')
    const second = await rawRequest(url, '/api/catalog/items?a=1&b=2')
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT'])
    expect(second.body).toBe(first.body)
    expect(up.count()).toBe(1)
    const metrics = (await rawRequest(url, '/_metrics')).json()
    expect(metrics).toMatchObject({ cache_hits: 1, cache_misses: 1, cache_size: 1 })
    expect(metrics.routes.catalog).toMatchObject({ cache_hits: 1, cache_misses: 1 })

    version = 2
    const purge = await rawRequest(url, '/_admin/cache?prefix=/api/catalog', {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin-token-for-tests' },
    })
    expect(purge.json()).toEqual({ purged: 1 })
    const fresh = await rawRequest(url, '/api/catalog/items?a=1&b=2')
    expect([fresh.headers['x-cache'], fresh.json().version]).toEqual(['MISS', 2])
  })

  it("never serves one API key's cached response to another on auth routes", async () => {
    const up = await h.upstream({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(`private data #${up.count()}`)
        return true
      },
    })
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/me', up.url, { requireAuth: true, cacheTtl: 60 }))
    const keyA = await gateway.apiKeyManager.createApiKey('A')
    const keyB = await gateway.apiKeyManager.createApiKey('B')
    const a1 = await rawRequest(url, '/me', { headers: { 'x-api-key': keyA } })
    const b1 = await rawRequest(url, '/me', { headers: { 'x-api-key': keyB } })
    const a2 = await rawRequest(url, '/me', { headers: { 'x-api-key': keyA } })
    expect(a1.body).not.toBe(b1.body)
    expect([b1.headers['x-cache'], a2.headers['x-cache'], a2.body]).toEqual(['MISS', 'HIT', a1.body])
    expect(up.count()).toBe(2)
  })
})
