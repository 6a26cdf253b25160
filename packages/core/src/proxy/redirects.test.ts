import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { publicPath, rewriteLocation, rewriteSetCookie, type PathMapping } from './redirects.js'

const pub = { origin: 'https://api.example.com', hostname: 'api.example.com' }
const map = (extra: Partial<PathMapping> = {}): PathMapping => ({
  targetOrigin: 'http://127.0.0.1:19080',
  targetBasePath: '',
  routePrefix: '/files',
  stripPrefix: true,
  ...extra,
})

describe('rewriteLocation', () => {
  it.each([
    ['http://127.0.0.1:19080/new.txt', map(), 'https://api.example.com/files/new.txt'],
    ['http://127.0.0.1:19080/new.txt?v=2#top', map(), 'https://api.example.com/files/new.txt?v=2#top'],
    ['http://127.0.0.1:19080/files/new.txt', map({ stripPrefix: false }), 'https://api.example.com/files/new.txt'],
    ['/new.txt', map(), '/files/new.txt'],
    ['/new.txt', map({ stripPrefix: false }), '/new.txt'],
    ['http://127.0.0.1:19080/v2/a', map({ targetBasePath: '/v2' }), 'https://api.example.com/files/a'],
    ['http://127.0.0.1:19080/other/a', map({ targetBasePath: '/v2' }), 'http://127.0.0.1:19080/other/a'],
    ['https://elsewhere.example/x', map(), 'https://elsewhere.example/x'],
    ['http://127.0.0.1:19081/x', map(), 'http://127.0.0.1:19081/x'],
    ['relative/page', map(), 'relative/page'],
    ['//127.0.0.1:19080/x', map(), 'https://api.example.com/files/x'],
  ])('%s (%j) → %s', (value, mapping, expected) => {
    expect(rewriteLocation(value, mapping, pub)).toBe(expected)
  })

  it('maps the root of a stripped prefix to the prefix with a slash', () => {
    expect(publicPath('/', map())).toBe('/files/')
    expect(publicPath('/', map({ routePrefix: '/' }))).toBe('/')
  })
})

describe('rewriteSetCookie', () => {
  it('moves Domain and Path from the target to the public host and prefix, keeping the other attributes', () => {
    expect(rewriteSetCookie('sid=abc; Domain=127.0.0.1; Path=/; HttpOnly', map(), pub)).toBe(
      'sid=abc; Domain=api.example.com; Path=/files/; HttpOnly',
    )
    expect(rewriteSetCookie('sid=abc; Domain=.other.example; Path=/x', map({ stripPrefix: false }), pub)).toBe(
      'sid=abc; Domain=.other.example; Path=/x',
    )
  })
})

describe('redirects through the gateway', () => {
  const h = createHarness()
  let upstream: Server | undefined
  afterEach(async () => {
    await h.close()
    await new Promise<void>((done) => (upstream ? upstream.close(() => done()) : done()))
    upstream = undefined
  })

  /** An upstream that redirects to its own absolute address and sets a cookie for its own host. */
  const redirecting = async (): Promise<string> => {
    upstream = createServer((req, res) => {
      const self = `http://127.0.0.1:${(upstream!.address() as AddressInfo).port}`
      res.writeHead(302, {
        location: `${self}/new.txt`,
        'content-location': `${self}${req.url}`,
        'set-cookie': 'sid=1; Domain=127.0.0.1; Path=/',
      })
      res.end()
    })
    await new Promise<void>((done) => upstream!.listen(0, '127.0.0.1', done))
    return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  }

  it('rewrites Location and Content-Location to the gateway origin and route prefix by default', async () => {
    const target = await redirecting()
    const { url } = await h.gateway((g) => g.registerRoute('/files', target, { stripPrefix: true }))
    const res = await rawRequest(url, '/files/old.txt', { headers: { host: 'gw.example:8443' } })
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('http://gw.example:8443/files/new.txt')
    expect(res.headers['content-location']).toBe('http://gw.example:8443/files/old.txt')
    expect(res.headers['set-cookie']).toEqual(['sid=1; Domain=127.0.0.1; Path=/']) // cookies only with rewriteCookies
  })

  it('uses the trusted proxy’s scheme and host, rewrites cookies when asked, and leaves Location alone when told to', async () => {
    const target = await redirecting()
    const { url } = await h.gateway(
      (g) => {
        g.registerRoute('/files', target, { stripPrefix: true, rewriteCookies: true })
        g.registerRoute('/raw', target, { rewriteRedirects: false })
      },
      { trustProxy: ['127.0.0.1'] },
    )
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }
    const res = await rawRequest(url, '/files/old.txt', { headers: proxied })
    expect(res.headers.location).toBe('https://api.example.com/files/new.txt')
    expect(res.headers['set-cookie']).toEqual(['sid=1; Domain=api.example.com; Path=/files/'])
    const raw = await rawRequest(url, '/raw/old.txt', { headers: proxied })
    expect(raw.headers.location).toBe(`${target}/new.txt`)
  })
})
