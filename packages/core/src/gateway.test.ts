import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway, type RequestEvent } from './gateway.js'
import { captureLogger, createHarness } from './testing/gateway-harness.js'
import { rawRequest } from './testing/http-client.js'

const h = createHarness()
afterEach(() => h.close())

describe('lifecycle', () => {
  it('reports the ephemeral port and URL, and rejects a taken port with a clear error', async () => {
    const up = await h.upstream()
    const { url, port } = await h.gateway((g) => g.registerRoute('/api', up.url))
    expect(port).toBeGreaterThan(0)
    expect(url).toBe(`http://127.0.0.1:${port}`)
    const second = new APIGateway({ logger: captureLogger() })
    await expect(second.start({ port })).rejects.toThrow(`port ${port} is already in use on 127.0.0.1`)
    await second.stop()
  })

  it('drains an in-flight request on stop() and refuses new connections afterwards', async () => {
    const up = await h.upstream({ latencyMs: 300 })
    const gateway = new APIGateway({ logger: captureLogger() })
    gateway.registerRoute('/api', up.url)
    const { url } = await gateway.start({ port: 0 })
    const inFlight = rawRequest(url, '/api/slow')
    while (up.count() === 0) await new Promise((r) => setTimeout(r, 5))
    const started = Date.now()
    await gateway.stop()
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    expect((await inFlight).status).toBe(200)
    await expect(rawRequest(url, '/api')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('serves through fetch() without a socket, as tests and serverless hosts use it', async () => {
    const up = await h.upstream()
    const gateway = new APIGateway({ logger: captureLogger() })
    gateway.registerRoute('/api', up.url)
    h.defer(() => gateway.stop())
    const res = await gateway.fetch(new Request('http://gateway.local/api/x?y=1', { method: 'POST', body: 'hello' }))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ url: '/api/x?y=1', bodyBytes: 5 })
    const viaApp = await gateway.app.request('/nope')
    expect(viaApp.status).toBe(404)
  })

  it('takes routes added and removed while running', async () => {
    const up = await h.upstream()
    const { url, gateway } = await h.gateway(() => {})
    expect((await rawRequest(url, '/late')).status).toBe(404)
    gateway.registerRoute('/late', up.url)
    expect((await rawRequest(url, '/late/1')).status).toBe(200)
    expect(gateway.removeRoute('/late')).toBe(true)
    expect((await rawRequest(url, '/late/1')).status).toBe(404)
  })
})

describe('slow clients', () => {
  it('cuts off a client that sends its headers too slowly (slowloris) with 408', async () => {
    const { connect } = await import('node:net')
    const up = await h.upstream()
    const { port } = await h.gateway((g) => g.registerRoute('/api', up.url), { server: { headersTimeoutMs: 300 } })
    const socket = connect(port, '127.0.0.1')
    h.defer(() => socket.destroy())
    // The drip may still be writing when the gateway closes: a reset then is expected, the 408 already read.
    socket.on('error', () => {})
    const started = Date.now()
    const answer = new Promise<string>((resolve) => {
      let data = ''
      socket.on('data', (chunk) => (data += chunk))
      socket.on('close', () => resolve(data))
    })
    socket.write('GET /api HTTP/1.1\r\nHost: x\r\n')
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 50)
    h.defer(() => clearInterval(drip))
    expect(await answer).toMatch(/^HTTP\/1\.1 408/)
    // Without the timeout the drip would hold the connection open forever; a loaded machine may take seconds.
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(up.count()).toBe(0)
  })
})

describe('errors', () => {
  it('answers 404 route_not_found and 405 method_not_allowed with Allow, as JSON', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api/users', up.url, { methods: ['GET', 'POST'] }))
    const missing = await rawRequest(url, '/api/usersX')
    expect(missing.status).toBe(404)
    expect(missing.headers['content-type']).toContain('application/json')
    expect(missing.json()).toEqual({ error: { code: 'route_not_found', message: expect.any(String), requestId: expect.any(String) } })
    const wrong = await rawRequest(url, '/api/users', { method: 'DELETE' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.allow).toBe('GET, POST, HEAD')
    expect(wrong.json().error.code).toBe('method_not_allowed')
    expect(up.count()).toBe(0)
  })

  it('marks every response the gateway made itself (404, 405, 401, 413) in its request event, and no upstream answer', async () => {
    const up = await h.upstream()
    const events: RequestEvent[] = []
    const gateway = new APIGateway({ logger: captureLogger() })
    gateway.on('request', (e) => events.push(e))
    gateway.registerRoute('/api/users', up.url, { methods: ['GET', 'POST'], maxBodyBytes: 4 })
    gateway.registerRoute('/private', up.url, { requireAuth: true })
    await gateway.fetch(new Request('http://gw/nowhere'))
    await gateway.fetch(new Request('http://gw/api/users', { method: 'DELETE' }))
    await gateway.fetch(new Request('http://gw/private'))
    await gateway.fetch(new Request('http://gw/api/users', { method: 'POST', body: 'too large', headers: { 'content-length': '9' } }))
    await gateway.fetch(new Request('http://gw/api/users'))
    expect(events.map((e) => [e.status, e.error])).toEqual([
      [404, 'route_not_found'],
      [405, 'method_not_allowed'],
      [401, 'missing_api_key'],
      [413, 'payload_too_large'],
      [200, undefined],
    ])
    await gateway.stop()
  })

  it('rejects bad registerRoute arguments with errors that name the field', () => {
    const gateway = new APIGateway({ logger: captureLogger() })
    expect(() => gateway.registerRoute('api', 'http://127.0.0.1:1')).toThrow(/prefix must be a path starting with "\/"/)
    expect(() => gateway.registerRoute('/a', 'ftp://x')).toThrow(/^upstream must use http: or https:, got "ftp:"/)
    expect(() => gateway.registerRoute('/a', 'http://127.0.0.1:1', { timeoutMs: 0 })).toThrow(/options\.timeoutMs/)
    expect(() => new APIGateway({ trustProxy: 'yes' as never })).toThrow(/options\.trustProxy/)
  })

  it('turns a throwing middleware into a 500 internal_error without crashing', async () => {
    const up = await h.upstream()
    const logger = captureLogger()
    const { url } = await h.gateway(
      (g) => {
        g.registerRoute('/api', up.url)
        g.addMiddleware(async () => {
          throw new Error('boom')
        })
      },
      { logger },
    )
    const res = await rawRequest(url, '/api')
    expect(res.status).toBe(500)
    expect(res.json().error.code).toBe('internal_error')
    expect(logger.lines.some((l) => l.includes('boom'))).toBe(true)
  })
})

describe('middleware pipeline', () => {
  it('runs custom middleware after route resolution, in order, and lets it short-circuit', async () => {
    const up = await h.upstream()
    const calls: string[] = []
    const { url } = await h.gateway((g) => {
      g.registerRoute('/api/users', up.url, { id: 'users' })
      g.registerRoute('/open', up.url)
      g.addMiddleware(async (c, next) => {
        calls.push(`first:${c.get('route').id}`)
        await next()
        c.res.headers.set('x-after', 'yes')
      }).addMiddleware(async (c, next) => {
        calls.push('second')
        if (c.get('route').id === 'users' && !c.req.header('authorization')) {
          return c.json({ error: { code: 'unauthorized', message: 'token required' } }, 401)
        }
        await next()
      })
    })
    const denied = await rawRequest(url, '/api/users')
    expect(denied.status).toBe(401)
    expect(denied.headers['x-after']).toBe('yes')
    expect(up.count()).toBe(0)
    const allowed = await rawRequest(url, '/api/users', { headers: { authorization: 'Bearer t' } })
    expect(allowed.status).toBe(200)
    expect(calls).toEqual(['first:users', 'second', 'first:users', 'second'])
    await rawRequest(url, '/nowhere')
    expect(calls).toHaveLength(4) // no route, no custom middleware
  })

  it('keeps headers a middleware set with c.header() before next() on the upstream response', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => {
      g.registerRoute('/api', up.url)
      g.addMiddleware(async (c, next) => {
        c.header('x-served-by', 'abc')
        await next()
      })
    })
    expect((await rawRequest(url, '/api')).headers['x-served-by']).toBe('abc')
  })

  it('lets middleware set and remove upstream request headers', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => {
      g.registerRoute('/api', up.url)
      g.addMiddleware(async (c, next) => {
        c.set('upstreamRequestHeaders', { 'X-Request-Id': 'req-1', 'x-remove-me': undefined })
        await next()
      })
    })
    await rawRequest(url, '/api', { headers: { 'x-remove-me': 'secret' } })
    expect(up.received[0]!.headers['x-request-id']).toBe('req-1')
    expect(up.received[0]!.headers['x-remove-me']).toBeUndefined()
  })
})

describe('observability', () => {
  it('counts requests in /_metrics overall and per route, and emits one event per request', async () => {
    const up = await h.upstream({ handler: (req, res) => (res.writeHead(req.url?.endsWith('fail') ? 503 : 200), res.end(), true) })
    const events: RequestEvent[] = []
    const { url } = await h.gateway((g) => {
      g.registerRoute('/api', up.url, { id: 'api', retry: { attempts: 1 } })
      g.on('request', (e) => events.push(e))
    })
    await rawRequest(url, '/api/ok')
    await rawRequest(url, '/api/ok')
    await rawRequest(url, '/api/fail')
    await rawRequest(url, '/missing')
    const metrics = (await rawRequest(url, '/_metrics')).json()
    expect(metrics).toMatchObject({
      requests_total: 4,
      requests_success: 2,
      requests_failed: 1,
      requests_rate_limited: 0,
      cache_hits: 0,
      cache_misses: 0,
      cache_size: 0,
    })
    for (const key of ['p50', 'p90', 'p95', 'p99', 'error_rate', 'uptime_seconds']) expect(metrics).toHaveProperty(key)
    expect(metrics.routes.api).toMatchObject({ requests_total: 3, requests_success: 2, requests_failed: 1 })
    expect(metrics.routes.api.p99).toBeGreaterThan(0)
    expect(metrics.circuit_breakers[up.url]).toEqual({ state: 'CLOSED', failures: 1 })
    expect(events.map((e) => [e.routeId, e.status, e.attempts])).toEqual([
      ['api', 200, 1],
      ['api', 200, 1],
      ['api', 503, 1],
      [undefined, 404, 0],
    ])
    expect(events[0]).toMatchObject({ method: 'GET', path: '/api/ok', clientId: '127.0.0.1', upstream: up.url })
    const prometheus = await rawRequest(url, '/_metrics/prometheus')
    expect(prometheus.headers['content-type']).toContain('text/plain; version=0.0.4')
    expect(prometheus.body).toContain('tollgate_requests_total')
  })

  it('reports liveness and breaker states at /_health', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { id: 'api' }))
    await rawRequest(url, '/api')
    const health = (await rawRequest(url, '/_health')).json()
    expect(health.status).toBe('ok')
    expect(health.circuit_breakers[up.url].state).toBe('CLOSED')
    expect(health.routes[0]).toMatchObject({ id: 'api', healthyTargets: 1 })
  })
})
