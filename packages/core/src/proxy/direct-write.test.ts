import { connect } from 'node:net'
import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import type { APIGateway } from '../gateway.js'

const h = createHarness()
afterEach(() => h.close())

interface RawAnswer {
  status: number
  /** Header lines exactly as sent: [name as written, value]. */
  headers: [string, string][]
  body: string
}

/** One request over a raw TCP connection (Connection: close); the answer's header lines exactly as they came. */
const rawExchange = (baseUrl: string, path: string, method = 'GET', extra = ''): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(baseUrl)
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n')
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
        body: text.slice(split + 4),
      })
    })
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${extra}Connection: close\r\n\r\n`)
  })

/** Lower-case names of the answer's headers, sorted, without those every Node server sets for the connection. */
const namesOf = (answer: RawAnswer): string[] =>
  answer.headers
    .map(([name]) => name.toLowerCase())
    .filter((name) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name))
    .sort()

/** An upstream answering /304, /204, /untyped (a 200 without Content-Type), /big (streamed) and /cookies. */
const startUpstream = () =>
  h.upstream({
    handler: (req, res: ServerResponse) => {
      if (req.url?.endsWith('/304')) res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' })
      else if (req.url?.endsWith('/204')) res.writeHead(204, { 'x-upstream': 'yes' })
      else if (req.url?.endsWith('/untyped')) res.writeHead(200, { 'content-length': '5', 'x-upstream': 'yes' })
      else if (req.url?.endsWith('/cookies'))
        res.writeHead(200, [
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
          ['Content-Length', '2'],
        ])
      else if (req.url?.endsWith('/bytes')) res.writeHead(200, { 'x-name': 'caf\xe9', 'content-length': '2' })
      else if (req.url?.endsWith('/hints')) {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' })
        res.writeHead(200, { 'content-length': '2' })
      } else if (req.url?.endsWith('/big')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(200_000) })
        res.end(Buffer.alloc(200_000, 'x'))
        return true
      } else return false
      res.end(req.url?.endsWith('/untyped') ? 'hello' : /\/(cookies|bytes|hints)$/.test(req.url ?? '') ? 'ok' : undefined)
      return true
    },
  })

const routes: [string, (g: APIGateway, upstream: string) => void][] = [
  ['a plain route (written straight to the socket)', (g, upstream) => g.registerRoute('/api', upstream)],
  [
    'a rate-limited route (its stage adds headers after the forward)',
    (g, upstream) => g.registerRoute('/api', upstream, { rateLimit: { requestsPerSecond: 1e6 } }),
  ],
  [
    'a route with custom middleware that adds a header after next()',
    (g, upstream) =>
      g.registerRoute('/api', upstream).addMiddleware(async (c, next) => {
        await next()
        c.res.headers.set('x-added', 'by-middleware')
      }),
  ],
]

describe.each(routes)('proxied answers carry exactly the upstream headers on %s', (_name, setup) => {
  it('a 304 gets no Content-Type (node-server would add text/plain)', async () => {
    const up = await startUpstream()
    const { url } = await h.gateway((g) => setup(g, up.url))
    const answer = await rawExchange(url, '/api/304')
    expect(answer.status).toBe(304)
    const names = namesOf(answer)
    expect(names).not.toContain('content-type')
    expect(names).toEqual(expect.arrayContaining(['cache-control', 'etag', 'via']))
  })

  it('a 204 and a 200 without Content-Type get none', async () => {
    const up = await startUpstream()
    const { url } = await h.gateway((g) => setup(g, up.url))
    const noContent = await rawExchange(url, '/api/204')
    expect(noContent.status).toBe(204)
    expect(namesOf(noContent)).not.toContain('content-type')
    const untyped = await rawExchange(url, '/api/untyped')
    expect(untyped.status).toBe(200)
    expect(untyped.body).toBe('hello')
    expect(namesOf(untyped)).not.toContain('content-type')
    expect(untyped.headers).toContainEqual(['content-length', '5'])
    expect(untyped.headers).toContainEqual(['x-upstream', 'yes'])
  })

  it('passes header bytes unchanged (latin1 in, latin1 out) and answers the final response after an Early Hints 103', async () => {
    const up = await startUpstream()
    const { url } = await h.gateway((g) => setup(g, up.url))
    // Node writes this upstream's 'café' as UTF-8 (a head sent with a string body takes its encoding): the client
    // must get those very bytes, not a UTF-8 decoding of them written back as latin1.
    const sent = await rawExchange(up.url, '/api/bytes')
    const bytes = await rawExchange(url, '/api/bytes')
    expect(bytes.headers).toContainEqual(sent.headers.find(([name]) => name.toLowerCase() === 'x-name'))
    const hinted = await rawExchange(url, '/api/hints')
    expect(hinted.status).toBe(200)
    expect(hinted.body).toBe('ok')
  })

  it('keeps every Set-Cookie, streams a big body whole, and HEAD has no body', async () => {
    const up = await startUpstream()
    const { url } = await h.gateway((g) => setup(g, up.url))
    const cookies = await rawExchange(url, '/api/cookies')
    expect(cookies.headers.filter(([name]) => name.toLowerCase() === 'set-cookie').map(([, v]) => v)).toEqual(['a=1', 'b=2'])
    const big = await rawExchange(url, '/api/big')
    expect(big.body.length).toBe(200_000)
    expect(big.headers).toContainEqual(['content-type', 'application/octet-stream'])
    const head = await rawExchange(url, '/api/items', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
  })
})

describe('direct write path and the stages', () => {
  it('stages still see the answer: middleware headers and rate-limit headers reach the client', async () => {
    const up = await startUpstream()
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', up.url, { rateLimit: { requestsPerSecond: 1e6 } }).addMiddleware(async (c, next) => {
        await next()
        c.res.headers.set('x-added', 'by-middleware')
      }),
    )
    const answer = await rawExchange(url, '/api/untyped')
    expect(answer.headers).toContainEqual(['x-added', 'by-middleware'])
    expect(namesOf(answer)).toContain('x-ratelimit-limit')
    expect(namesOf(answer)).not.toContain('content-type')
  })

  it('a rate-limited route written straight to the socket carries its X-RateLimit-* headers, also on a 304', async () => {
    const up = await startUpstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { rateLimit: { requestsPerMinute: 50 } }))
    const first = await rawExchange(url, '/api/untyped')
    expect(first.headers).toContainEqual(['x-ratelimit-limit', '50'])
    expect(first.headers).toContainEqual(['x-ratelimit-remaining', '49'])
    const notModified = await rawExchange(url, '/api/304')
    expect(notModified.headers).toContainEqual(['x-ratelimit-remaining', '48'])
    expect(namesOf(notModified)).not.toContain('content-type')
  })

  it('metrics count the status the client got (304 written straight to the socket)', async () => {
    const up = await startUpstream()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/api', up.url))
    await rawExchange(url, '/api/304')
    await rawExchange(url, '/api/items')
    expect(gateway.metrics.snapshot().status).toMatchObject({ '2xx': 1, '3xx': 1 })
  })

  it('gateway.fetch() without a socket answers through a Response as before', async () => {
    const up = await startUpstream()
    const { gateway } = await h.gateway((g) => g.registerRoute('/api', up.url))
    const response = await gateway.fetch(new Request('http://gateway.test/api/untyped'))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('hello')
    const notModified = await gateway.fetch(new Request('http://gateway.test/api/304'))
    expect(notModified.status).toBe(304)
    expect(notModified.headers.get('etag')).toBe('"v1"')
  })
})

describe('cached answers carry exactly the stored headers', () => {
  it('MISS, HIT (written straight to the socket) and a 304 from the entry get no Content-Type the upstream did not send', async () => {
    const up = await h.upstream({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-length': '5', etag: '"e1"', 'cache-control': 'max-age=60' })
        res.end('hello')
        return true
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60, rateLimit: { requestsPerMinute: 50 } }))
    const miss = await rawExchange(url, '/api/doc')
    const hit = await rawExchange(url, '/api/doc')
    const notModified = await rawExchange(url, '/api/doc', 'GET', 'If-None-Match: "e1"\r\n')
    expect([miss, hit, notModified].map((a) => a.headers.find(([name]) => name.toLowerCase() === 'x-cache')?.[1])).toEqual([
      'MISS',
      'HIT',
      'HIT',
    ])
    expect([miss.status, hit.status, notModified.status]).toEqual([200, 200, 304])
    for (const answer of [miss, hit, notModified]) {
      expect(namesOf(answer)).not.toContain('content-type')
      expect(namesOf(answer)).toContain('x-ratelimit-remaining')
    }
    expect(hit.body).toBe('hello')
    expect(hit.headers).toContainEqual(['etag', '"e1"'])
    expect(hit.headers.filter(([name]) => name.toLowerCase() === 'x-ratelimit-remaining')).toEqual([['x-ratelimit-remaining', '48']])
    expect(up.count()).toBe(1)
  })
})
