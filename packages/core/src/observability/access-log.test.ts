// Access logs: one record per request with what the stages decided — and never a key, a query, Authorization or a cookie.
import { mkdtempSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { AccessLog, type AccessLogRecord, jsonAccessLogger } from './access-log.js'
import type { AccessLogger } from './schema.js'

const h = createHarness()
afterEach(() => h.close())

/** An access logger that keeps its records. */
const recorder = () => {
  const records: AccessLogRecord[] = []
  return { records, logger: { info: (record: object) => void records.push(record as AccessLogRecord) } }
}

/** Waits for `count` records (a line is written once the response has been sent). */
const settled = async (records: unknown[], count: number) => {
  await vi.waitFor(() => expect(records.length).toBeGreaterThanOrEqual(count), { timeout: 5_000 })
  return records
}

/** Sends one `Connection: close` request on a raw socket: resolves with every byte the gateway sent. */
const bytesReceived = (url: string, path: string): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => resolve(Buffer.concat(chunks)))
    socket.on('error', reject)
  })

/** Starts a request on a raw socket and closes the socket as soon as the first bytes of the answer arrive. */
const cutAfterFirstBytes = (url: string, path: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`))
    socket.once('data', () => socket.destroy())
    socket.on('close', () => resolve())
    socket.on('error', reject)
  })

describe('access log', () => {
  it('is off by default', async () => {
    const up = await h.upstream()
    const seen: string[] = []
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      seen.push(String(chunk))
      return true
    })
    try {
      const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
      await rawRequest(url, '/api/x')
    } finally {
      write.mockRestore()
    }
    expect(seen.filter((line) => line.includes('requestId'))).toEqual([])
  })

  it('writes one record per request with every field, and no secret anywhere in it', async () => {
    const { records, logger } = recorder()
    const up = await h.upstream()
    const { gateway, url } = await h.gateway(
      (g) =>
        g.registerRoute('/api', up.url, {
          id: 'api',
          requireAuth: true,
          rateLimit: { requestsPerMinute: 100 },
          cacheTtl: 60,
          methods: ['GET', 'POST'],
        }),
      { accessLog: { logger } },
    )
    const key = await gateway.apiKeyManager.createApiKey('logged app')
    const [info] = await gateway.apiKeyManager.listApiKeys()
    const secrets = {
      authorization: 'Bearer very-secret-bearer',
      cookie: 'session=very-secret-cookie',
      'x-api-key': key,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'x-request-id': 'log-req-1',
    }
    const res = await rawRequest(url, '/api/users?token=very-secret-query', { headers: secrets })
    expect(res.status).toBe(200)
    await rawRequest(url, '/api/users', { headers: { 'x-api-key': key } })
    const hit = await rawRequest(url, '/api/users', { headers: { 'x-api-key': key } })
    expect(hit.headers['x-cache']).toBe('HIT')
    const post = await rawRequest(url, '/api/users', { method: 'POST', headers: { 'x-api-key': key }, body: 'hello world' })
    expect(post.status).toBe(200)
    await settled(records, 4)

    const [first, miss, second, third] = records
    expect(first).toMatchObject({
      requestId: 'log-req-1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      method: 'GET',
      path: '/api/users',
      route: 'api',
      status: 200,
      upstream: up.url,
      attempts: 1,
      bytesIn: 0,
      cache: 'bypass',
      rateLimit: 'allowed',
      clientIp: '127.0.0.1',
      keyId: info!.id,
    })
    expect(first!.time).toMatch(/^\d{4}-\d\d-\d\dT/)
    // The wall-clock time the request ended (taken from the monotonic clock plus an offset read once a second).
    expect(Math.abs(Date.parse(first!.time!) - Date.now())).toBeLessThan(10_000)
    expect(first!.durationMs).toBeGreaterThan(0)
    expect(first!.bytesOut).toBeGreaterThan(Number(res.headers['content-length']))
    expect(first!.error).toBeUndefined()
    expect(miss).toMatchObject({ cache: 'miss', attempts: 1 })
    expect(second).toMatchObject({ cache: 'hit', attempts: 0, status: 200, upstream: undefined })
    expect(third).toMatchObject({ method: 'POST', bytesIn: 11, cache: undefined })

    const text = JSON.stringify(records)
    for (const secret of ['very-secret', key, 'token=']) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/authorization|cookie/i)
  })

  it('counts the bytes of answers written straight to the socket (plain forward and cache hit), one line each', async () => {
    const { records, logger } = recorder()
    const up = await h.upstream()
    const { url } = await h.gateway(
      (g) => {
        g.registerRoute('/plain', up.url)
        g.registerRoute('/cached', up.url, { cacheTtl: 60 })
      },
      { accessLog: { logger } },
    )
    const answers: Awaited<ReturnType<typeof rawRequest>>[] = []
    for (const path of ['/plain/a', '/plain/b', '/cached/c', '/cached/c']) answers.push(await rawRequest(url, path))
    await settled(records, 4)
    expect(records.map((r) => [r.path, r.status, r.cache])).toEqual([
      ['/plain/a', 200, undefined],
      ['/plain/b', 200, undefined],
      ['/cached/c', 200, 'miss'],
      ['/cached/c', 200, 'hit'],
    ])
    for (const [i, record] of records.entries()) expect(record.bytesOut).toBeGreaterThan(Number(answers[i]!.headers['content-length']))
  })

  /** Two logged gateways on `upstream`: /plain written straight to the socket, /wrapped behind a middleware (node-server writes it). */
  const plainAndWrapped = async (upstream: string, logger: AccessLogger) => ({
    plain: await h.gateway((g) => g.registerRoute('/plain', upstream), { accessLog: { logger } }),
    wrapped: await h.gateway(
      (g) => {
        g.registerRoute('/wrapped', upstream)
        g.addMiddleware(async (_c, next) => {
          await next()
        })
      },
      { accessLog: { logger } },
    ),
  })

  it('an answer written after end() (a 404, a route with middleware, a built-in endpoint) is logged once with the bytes sent', async () => {
    const { records, logger } = recorder()
    const up = await h.upstream()
    const { plain, wrapped } = await plainAndWrapped(up.url, logger)
    const requests: [string, string][] = [
      [plain.url, '/plain/a'],
      [plain.url, '/nowhere'],
      [plain.url, '/_health'],
      [wrapped.url, '/wrapped/b'],
    ]
    const sent: number[] = []
    for (const [url, path] of requests) sent.push((await bytesReceived(url, path)).length)
    await settled(records, requests.length)
    await rawRequest(plain.url, '/plain/later') // by the time it is answered, a second line for any of them would have been written
    await settled(records, requests.length + 1)
    expect(records.map((r) => [r.path, r.status])).toEqual([
      ['/plain/a', 200],
      ['/nowhere', 404],
      ['/_health', 200],
      ['/wrapped/b', 200],
      ['/plain/later', 200],
    ])
    expect(records.slice(0, requests.length).map((r) => r.bytesOut)).toEqual(sent)
    for (const record of records) expect(record.aborted).toBeUndefined()
  })

  it('a streamed answer is logged once it ends, or once the client cuts it off (aborted: true)', async () => {
    const { records, logger } = recorder()
    const up = await h.upstream({
      handler: (req, res) => {
        if (req.url?.endsWith('/slow')) {
          res.writeHead(200, { 'content-type': 'text/plain' }).write('x'.repeat(16_384))
          setTimeout(() => res.end('y'.repeat(1_000)), 50)
          return true
        }
        if (!req.url?.endsWith('/stream')) return false
        res.writeHead(200, { 'content-type': 'text/plain' }).write('x'.repeat(16_384)) // and never ends
        return true
      },
    })
    const { plain, wrapped } = await plainAndWrapped(up.url, logger)
    const sent = [(await bytesReceived(plain.url, '/plain/slow')).length, (await bytesReceived(wrapped.url, '/wrapped/slow')).length]
    await cutAfterFirstBytes(plain.url, '/plain/stream')
    await cutAfterFirstBytes(wrapped.url, '/wrapped/stream')
    await settled(records, 4)
    await rawRequest(plain.url, '/plain/later')
    await settled(records, 5)
    expect(records.map((r) => [r.path, r.status, r.aborted])).toEqual([
      ['/plain/slow', 200, undefined],
      ['/wrapped/slow', 200, undefined],
      ['/plain/stream', 200, true],
      ['/wrapped/stream', 200, true],
      ['/plain/later', 200, undefined],
    ])
    expect(records.slice(0, 2).map((r) => r.bytesOut)).toEqual(sent)
    expect(sent[0]).toBeGreaterThan(17_384)
    for (const record of records.slice(2, 4)) expect(record.bytesOut).toBeGreaterThan(0)
    // Arrival to last byte: the slow answers' lines count the upstream's pause.
    for (const record of records.slice(0, 2)) expect(record.durationMs).toBeGreaterThanOrEqual(40)
  })

  it('logs gateway answers with their error code, 404s included', async () => {
    const { records, logger } = recorder()
    const up = await h.upstream()
    const port = up.port
    await up.close()
    const { url } = await h.gateway((g) => g.registerRoute('/down', `http://127.0.0.1:${port}`, { retry: { attempts: 1 } }), {
      accessLog: { logger },
    })
    await rawRequest(url, '/nowhere')
    await rawRequest(url, '/down/x')
    await settled(records, 2)
    expect(records[0]).toMatchObject({ status: 404, error: 'route_not_found', route: undefined, attempts: 0 })
    expect(records[1]).toMatchObject({
      status: 502,
      error: 'bad_gateway',
      route: 'down',
      attempts: 1,
      upstream: `http://127.0.0.1:${port}`,
    })
  })

  it('sample: 0 drops successful requests but keeps every 5xx', async () => {
    const { records, logger } = recorder()
    const up = await h.upstream({
      handler: (req, res) => {
        if (req.url !== '/fail') return false
        res.writeHead(500).end()
        return true
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/', up.url, { retry: { attempts: 1 } }), { accessLog: { logger, sample: 0 } })
    for (let i = 0; i < 5; i++) await rawRequest(url, '/ok')
    await rawRequest(url, '/fail')
    await settled(records, 1)
    await rawRequest(url, '/ok') // a later request: by the time it is answered, any line for /ok would have been written
    expect(records.map((r) => r.path)).toEqual(['/fail'])
  })

  it('samples the configured share of requests', () => {
    const draws = [0.1, 0.4, 0.6, 0.9]
    const log = new AccessLog({ logger: { info() {} }, sample: 0.5 }, () => draws.shift()!)
    expect([200, 200, 200, 200].map((status) => log.sampled(status))).toEqual([true, true, false, false])
    expect(log.sampled(503)).toBe(true)
  })

  it('a pino logger stamps the time itself: one JSON line per request without a duplicate time key', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write: (chunk, _encoding, done) => {
        lines.push(String(chunk))
        done()
      },
    })
    const logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, sink)
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { accessLog: { logger } })
    await rawRequest(url, '/api/x')
    await settled(lines, 1)
    expect(lines).toHaveLength(1)
    expect(lines[0]!.match(/"time":/g)).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, method: 'GET', path: '/api/x', status: 200 })
  })

  it('jsonAccessLogger writes one JSON line per record to a file, the lines gathered into few writes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-access-')), 'access.log')
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { accessLog: { logger: jsonAccessLogger(file) } })
    await Promise.all([rawRequest(url, '/api/a'), rawRequest(url, '/api/b')])
    await vi.waitFor(() => expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3), { timeout: 5_000 })
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.map((l) => l.path).sort()).toEqual(['/api/a', '/api/b'])
    for (const line of lines) expect(Object.keys(line)[0]).toBe('time')
  })

  it('built-in endpoints are logged too', async () => {
    const { records, logger } = recorder()
    const { url } = await h.gateway(() => {}, { accessLog: { logger } })
    await rawRequest(url, '/_health')
    await settled(records, 1)
    expect(records[0]).toMatchObject({ path: '/_health', status: 200, route: undefined })
  })

  it('rejects a bad accessLog option, naming the field', async () => {
    await expect(h.gateway(() => {}, { accessLog: { sample: 2 } })).rejects.toThrow(/accessLog/)
  })
})
