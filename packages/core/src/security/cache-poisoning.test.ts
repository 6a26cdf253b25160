// Attack: poison a shared cache entry through a header or body the key does not cover (issue 10.1).
import type { IncomingMessage } from 'node:http'
import { Client } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'

const h = createHarness()
afterEach(() => h.close())

/**
 * An origin that trusts what it is told, as many frameworks do: it builds its answer from steering headers
 * (scheme, host, URL rewrites, client address) and says the answer may be cached by anyone.
 */
const STEERING = [
  'x-forwarded-scheme',
  'x-forwarded-server',
  'x-original-host',
  'x-http-host-override',
  'x-forwarded-ssl',
  'front-end-https',
  'x-url-scheme',
  'x-real-ip',
  'true-client-ip',
  'x-original-url',
  'x-rewrite-url',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-host',
  'x-http-method-override',
]

const gullibleAnswer = (req: IncomingMessage): string => {
  const steered = STEERING.filter((name) => name !== 'x-real-ip' && req.headers[name] !== undefined)
  // X-Real-IP always arrives (the gateway sets it): only a value other than the client's is a poisoning.
  if (req.headers['x-real-ip'] !== undefined && req.headers['x-real-ip'] !== '127.0.0.1') steered.push('x-real-ip')
  return steered.length === 0 ? 'clean' : `poisoned by ${steered.join(',')}`
}

const startGullibleUpstream = () =>
  h.upstream({
    keepBodies: true,
    handler: (req, res, body) => {
      const payload = `${gullibleAnswer(req)}; body=${body?.length ?? 0}`
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60' })
      res.end(payload)
      return true
    },
  })

describe('cache poisoning through unkeyed headers', () => {
  it.each(STEERING.map((name) => [name]))('a request with %s does not poison the entry served to others', async (name) => {
    const up = await startGullibleUpstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60 }))
    const attack = await rawRequest(url, '/api/home', { headers: { [name]: 'evil.example' } })
    // The header never reached the origin, so the attacker's own answer is already clean.
    expect(attack.body).toBe('clean; body=0')
    const victim = await rawRequest(url, '/api/home')
    expect([victim.headers['x-cache'], victim.body]).toEqual(['HIT', 'clean; body=0'])
  })

  it('keys a steering header the route forwards (cacheKeyHeaders): the victim never gets the attacker entry', async () => {
    const up = await startGullibleUpstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60, cacheKeyHeaders: ['X-Original-URL'] }))
    const attack = await rawRequest(url, '/api/home', { headers: { 'x-original-url': '/admin' } })
    expect(attack.body).toBe('poisoned by x-original-url; body=0')
    const victim = await rawRequest(url, '/api/home')
    expect([victim.headers['x-cache'], victim.body]).toEqual(['MISS', 'clean; body=0'])
    const again = await rawRequest(url, '/api/home', { headers: { 'x-original-url': '/admin' } })
    expect([again.headers['x-cache'], again.body]).toEqual(['HIT', attack.body])
    // Unlisted steering headers are still stripped.
    const other = await rawRequest(url, '/api/home', { headers: { 'x-forwarded-scheme': 'nothttps' } })
    expect([other.headers['x-cache'], other.body]).toEqual(['HIT', 'clean; body=0'])
  })

  it('leaves steering headers alone on routes without a cache', async () => {
    const up = await startGullibleUpstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
    const answer = await rawRequest(url, '/api/home', { headers: { 'x-original-url': '/admin' } })
    expect(answer.body).toBe('poisoned by x-original-url; body=0')
  })
})

describe('cache poisoning through a GET body', () => {
  it.each([
    ['Content-Length', { 'content-length': '12' }],
    ['Transfer-Encoding: chunked', { 'transfer-encoding': 'chunked' }],
  ])('a GET with a body (%s) bypasses the cache and its body is not forwarded', async (_, framing) => {
    const up = await startGullibleUpstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60 }))
    // Node's client frames a GET body only when told how (it would otherwise send it unframed).
    const attack = await rawRequest(url, '/api/search', { headers: framing, body: '{"q":"evil"}' })
    expect([attack.status, attack.headers['x-cache'], attack.body]).toEqual([200, 'BYPASS', 'clean; body=0'])
    expect(up.received[0]!.headers['content-length']).toBeUndefined()
    expect(up.received[0]!.headers['transfer-encoding']).toBeUndefined()
    // Nothing was stored: the next caller misses and the one after hits its own clean answer.
    const victim = await rawRequest(url, '/api/search')
    const next = await rawRequest(url, '/api/search')
    expect([victim.headers['x-cache'], next.headers['x-cache'], next.body]).toEqual(['MISS', 'HIT', 'clean; body=0'])
  })

  it('forwards the body on a route that opts in (forwardGetBody), still without caching', async () => {
    const up = await startGullibleUpstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60, forwardGetBody: true }))
    const withBody = await rawRequest(url, '/api/search', { headers: { 'content-length': '12' }, body: '{"q":"evil"}' })
    expect([withBody.headers['x-cache'], withBody.body]).toEqual(['BYPASS', 'clean; body=12'])
    const victim = await rawRequest(url, '/api/search')
    expect([victim.headers['x-cache'], victim.body]).toEqual(['MISS', 'clean; body=0'])
  })

  it('keeps the client connection usable after a dropped GET body', async () => {
    const up = await startGullibleUpstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60 }))
    // One connection for both requests: the unread body must be consumed, not left to be parsed as a request.
    const client = new Client(url, { connections: 1, pipelining: 1 } as Client.Options)
    h.defer(() => client.close())
    const first = await client.request({ path: '/api/a', method: 'GET', body: 'x'.repeat(200_000) })
    const firstBody = await first.body.text()
    const second = await client.request({ path: '/api/a', method: 'GET' })
    expect([first.statusCode, first.headers['x-cache'], firstBody]).toEqual([200, 'BYPASS', 'clean; body=0'])
    expect([second.statusCode, await second.body.text()]).toEqual([200, 'clean; body=0'])
  })
})
