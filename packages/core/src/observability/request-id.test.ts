// Every request has an ID: kept from a valid X-Request-Id or generated, sent upstream, returned, in every error body.
import { afterEach, describe, expect, it } from 'vitest'
import { logging, type LoggingOptions, type RequestLogRecord } from '../middleware/logging.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const TOKEN = 'admin-token-0123456789'
const h = createHarness()
afterEach(() => h.close())

/** The error body and header agree on one request id; returns it. */
const errorId = (res: { headers: Record<string, unknown>; json(): { error: { requestId?: string } } }): string => {
  const id = res.json().error.requestId
  expect(id).toBeTypeOf('string')
  expect(res.headers['x-request-id']).toBe(id)
  return id!
}

describe('request IDs', () => {
  it('a proxied request gets a generated UUID, sent upstream and returned to the client', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
    const res = await rawRequest(url, '/api/users')
    expect(res.status).toBe(200)
    const id = res.headers['x-request-id']
    expect(id).toMatch(UUID)
    expect(up.received[0]!.headers['x-request-id']).toBe(id)
    const second = await rawRequest(url, '/api/users')
    expect(second.headers['x-request-id']).not.toBe(id)
  })

  it("keeps a client's valid X-Request-Id end to end and replaces an unusable one", async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
    const kept = await rawRequest(url, '/api/a', { headers: { 'x-request-id': 'client-abc.123' } })
    expect(kept.headers['x-request-id']).toBe('client-abc.123')
    expect(up.received[0]!.headers['x-request-id']).toBe('client-abc.123')
    const tooLong = await rawRequest(url, '/api/b', { headers: { 'x-request-id': 'x'.repeat(201) } })
    expect(tooLong.headers['x-request-id']).toMatch(UUID)
    expect(up.received[1]!.headers['x-request-id']).toBe(tooLong.headers['x-request-id'])
    const spaced = await rawRequest(url, '/api/c', { headers: { 'x-request-id': 'has space' } })
    expect(spaced.headers['x-request-id']).toMatch(UUID)
  })

  it('is readable as c.get("requestId") in custom middleware', async () => {
    const up = await h.upstream()
    let seen: string | undefined
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', up.url).addMiddleware(async (c, next) => {
        seen = c.get('requestId')
        await next()
      }),
    )
    const res = await rawRequest(url, '/api/x')
    expect(seen).toBe(res.headers['x-request-id'])
  })

  it('requestIdHeader names the header read, sent upstream and returned', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { requestIdHeader: 'X-Correlation-Id' })
    const res = await rawRequest(url, '/api/x', { headers: { 'x-correlation-id': 'corr-1' } })
    expect(res.headers['x-correlation-id']).toBe('corr-1')
    expect(res.headers['x-request-id']).toBeUndefined()
    expect(up.received[0]!.headers['x-correlation-id']).toBe('corr-1')
    const missing = await rawRequest(url, '/nowhere')
    expect(missing.json().error.requestId).toBe(missing.headers['x-correlation-id'])
  })

  it("logging()'s line carries the id", async () => {
    const lines: RequestLogRecord[] = []
    const keep = (record: unknown) => void lines.push(record as RequestLogRecord)
    const up = await h.upstream()
    const { url } = await h.gateway((g) =>
      g
        .registerRoute('/api', up.url)
        .addMiddleware(logging({ logger: { info: keep, warn: keep, error: keep } as unknown as NonNullable<LoggingOptions['logger']> })),
    )
    await rawRequest(url, '/api/x', { headers: { 'x-request-id': 'log-1' } })
    expect(lines[0]).toMatchObject({ requestId: 'log-1', path: '/api/x' })
    expect(lines[0]!.message).toContain('request=log-1')
  })

  it('the request event carries the id', async () => {
    const up = await h.upstream()
    const ids: string[] = []
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url).on('request', (e) => ids.push(e.requestId)))
    const res = await rawRequest(url, '/api/x')
    expect(ids).toEqual([res.headers['x-request-id']])
  })
})

describe('every gateway error body carries the request id', () => {
  it('404 route_not_found, keeping the client id', async () => {
    const { url } = await h.gateway(() => {})
    const res = await rawRequest(url, '/nowhere', { headers: { 'x-request-id': 'req-404' } })
    expect(res.status).toBe(404)
    expect(res.json().error).toEqual({ code: 'route_not_found', message: 'No route matches /nowhere', requestId: 'req-404' })
    expect(errorId(res)).toBe('req-404')
  })

  it('405 method_not_allowed', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { methods: ['GET'] }))
    const res = await rawRequest(url, '/api/x', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(errorId(res)).toMatch(UUID)
  })

  it('429 rate_limited', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { rateLimit: { requestsPerMinute: 1 } }))
    expect((await rawRequest(url, '/api/x')).status).toBe(200)
    const res = await rawRequest(url, '/api/x')
    expect(res.status).toBe(429)
    expect(res.json().error.code).toBe('rate_limited')
    expect(errorId(res)).toMatch(UUID)
  })

  it('502 bad_gateway (upstream unreachable) and 401 missing_api_key', async () => {
    const up = await h.upstream()
    const port = up.port
    await up.close()
    const { url } = await h.gateway((g) =>
      g.registerRoute('/down', `http://127.0.0.1:${port}`, { retry: { attempts: 1 } }).registerRoute('/keyed', `http://127.0.0.1:${port}`, {
        requireAuth: true,
      }),
    )
    const res = await rawRequest(url, '/down/x', { headers: { 'x-request-id': 'req-502' } })
    expect(res.status).toBe(502)
    expect(res.json().error).toMatchObject({ code: 'bad_gateway', requestId: 'req-502' })
    expect(errorId(res)).toBe('req-502')
    const unauthorized = await rawRequest(url, '/keyed/x')
    expect(unauthorized.status).toBe(401)
    expect(errorId(unauthorized)).toMatch(UUID)
  })

  it('500 internal_error from a throwing middleware keeps the client id', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', up.url).addMiddleware(() => {
        throw new Error('boom')
      }),
    )
    const res = await rawRequest(url, '/api/x', { headers: { 'x-request-id': 'req-500' } })
    expect(res.status).toBe(500)
    expect(res.json().error).toMatchObject({ code: 'internal_error', requestId: 'req-500' })
    expect(errorId(res)).toBe('req-500')
  })

  it('admin API errors (401, 400, 404; the 500 is in internal-error.test.ts) and a built-in success carry an id', async () => {
    const { url } = await h.gateway(() => {}, { adminToken: TOKEN })
    const auth = { authorization: `Bearer ${TOKEN}` }
    const unauthorized = await rawRequest(url, '/_admin/keys', { headers: { 'x-request-id': 'adm-401' } })
    expect(unauthorized.status).toBe(401)
    expect(errorId(unauthorized)).toBe('adm-401')
    const bad = await rawRequest(url, '/_admin/keys', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{not json',
    })
    expect(bad.status).toBe(400)
    expect(errorId(bad)).toMatch(UUID)
    const missing = await rawRequest(url, '/_admin/nothing-here', { headers: auth })
    expect(missing.status).toBe(404)
    expect(errorId(missing)).toMatch(UUID)
    const health = await rawRequest(url, '/_health', { headers: { 'x-request-id': 'lb-probe' } })
    expect(health.status).toBe(200)
    expect(health.headers['x-request-id']).toBe('lb-probe')
  })

  it('the reserved /_admin without a token answers 404 with an id', async () => {
    const { url } = await h.gateway(() => {})
    const res = await rawRequest(url, '/_admin/keys')
    expect(res.status).toBe(404)
    expect(errorId(res)).toMatch(UUID)
  })
})
