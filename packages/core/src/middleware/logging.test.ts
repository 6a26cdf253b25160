import { createConsola, type LogObject } from 'consola'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { GatewayError } from '../errors.js'
import { describe, expect, it } from 'vitest'
import type { Route } from '../routing/route.js'
import { logging, type LoggingOptions, type RequestLogRecord } from './logging.js'

type Line = { level: 'info' | 'warn' | 'error'; record: RequestLogRecord }

const capture = () => {
  const lines: Line[] = []
  const logger = {
    info: (record: RequestLogRecord) => void lines.push({ level: 'info', record }),
    warn: (record: RequestLogRecord) => void lines.push({ level: 'warn', record }),
    error: (record: RequestLogRecord) => void lines.push({ level: 'error', record }),
  }
  return { lines, logger: logger as unknown as NonNullable<LoggingOptions['logger']> }
}

/** An app shaped like the gateway: a first stage sets route and client id, then logging(), then handlers. */
const makeApp = (options: LoggingOptions) => {
  const app = new Hono()
  // Like the gateway's handler, and quiet: Hono's default one prints the error.
  app.onError((err, c) =>
    err instanceof HTTPException ? err.getResponse() : c.json({ error: { code: 'internal_error', message: 'x' } }, 500),
  )
  app.use(async (c, next) => {
    c.set('route', { id: 'api-users' } as Route)
    c.set('clientId', 'key_42')
    await next()
  })
  app.use(logging(options))
  app.get('/api/users', (c) => c.json({ ok: true }))
  app.get('/api/users/slow', async (c) => {
    await new Promise((r) => setTimeout(r, 20))
    return c.text('slow')
  })
  app.get('/api/users/missing', (c) => c.json({ error: { code: 'not_found', message: 'no' } }, 404))
  app.get('/api/users/down', (c) => {
    c.set('gatewayError', 'bad_gateway')
    return c.json({ error: { code: 'bad_gateway', message: 'down' } }, 502)
  })
  app.get('/api/users/throws', () => {
    throw new Error('kaboom')
  })
  app.get('/api/users/http', () => {
    throw new HTTPException(503)
  })
  app.get('/api/users/teapot', () => {
    throw new HTTPException(418)
  })
  app.get('/api/users/open', () => {
    throw new GatewayError(503, 'circuit_open', 'open', { headers: { 'retry-after': '5' } })
  })
  return app
}

const secrets = {
  'x-api-key': 'tg_live_SECRETKEY123',
  authorization: 'Bearer SECRETBEARER456',
  cookie: 'session=SECRETCOOKIE789',
}

describe('logging()', () => {
  it('writes one structured line per request', async () => {
    const { lines, logger } = capture()
    const app = makeApp({ logger })
    const res = await app.request('/api/users?token=QUERYSECRET&x=1', { headers: secrets })
    expect(res.status).toBe(200)
    expect(lines).toHaveLength(1)
    const [line] = lines
    expect(line?.level).toBe('info')
    expect(line?.record).toMatchObject({
      method: 'GET',
      path: '/api/users',
      route: 'api-users',
      status: 200,
      clientId: 'key_42',
      error: undefined,
    })
    expect(line?.record.message).toMatch(/^GET \/api\/users 200 \d+(\.\d)?ms route=api-users client=key_42$/)
  })

  it('never writes headers, query strings or their secrets', async () => {
    const { lines, logger } = capture()
    const app = makeApp({ logger })
    for (const path of ['/api/users?api_key=QUERYSECRET', '/api/users/missing?password=QUERYSECRET', '/api/users/throws?q=QUERYSECRET']) {
      await app.request(path, { method: 'GET', headers: secrets })
    }
    expect(lines).toHaveLength(3)
    const written = JSON.stringify(lines)
    for (const secret of ['SECRETKEY123', 'SECRETBEARER456', 'SECRETCOOKIE789', 'QUERYSECRET', '?', 'x-api-key', 'authorization']) {
      expect(written).not.toContain(secret)
    }
  })

  it('rounds latency to 0.1 ms and measures the whole downstream', async () => {
    const { lines, logger } = capture()
    await makeApp({ logger }).request('/api/users/slow')
    const ms = lines[0]?.record.latencyMs as number
    expect(ms).toBeGreaterThanOrEqual(15)
    expect(Math.round(ms * 10) / 10).toBe(ms)
  })

  it('uses the gateway start time when one is set', async () => {
    const { lines, logger } = capture()
    const app = new Hono()
    app.use(async (c, next) => {
      c.set('startTime', performance.now() - 1234.56)
      await next()
    })
    app.use(logging({ logger }))
    app.get('/x', (c) => c.text('x'))
    await app.request('/x')
    expect(lines[0]?.record.latencyMs).toBeGreaterThanOrEqual(1234.5)
    expect(lines[0]?.record.route).toBeUndefined()
    expect(lines[0]?.record.message).toMatch(/^GET \/x 200 [\d.]+ms$/)
  })

  it('writes 4xx at warn and 5xx at error, with the gateway error code', async () => {
    const { lines, logger } = capture()
    const app = makeApp({ logger })
    await app.request('/api/users/missing')
    await app.request('/api/users/down')
    await app.request('/api/users/throws')
    await app.request('/api/users/http')
    await app.request('/api/users/teapot')
    await app.request('/api/users/open')
    expect(lines.map((l) => [l.level, l.record.status, l.record.error])).toEqual([
      ['warn', 404, undefined],
      ['error', 502, 'bad_gateway'],
      ['error', 500, 'internal_error'],
      ['error', 503, 'internal_error'],
      ['warn', 418, undefined],
      ['error', 503, 'circuit_open'],
    ])
    expect(JSON.stringify(lines)).not.toContain('kaboom')
  })

  it('logs a 500 even when the error escapes every handler', async () => {
    const { lines, logger } = capture()
    const app = new Hono()
    app.use(logging({ logger }))
    app.use(async () => {
      // A non-Error throw bypasses Hono's onError and rejects through the middleware chain.
      throw 'not an Error'
    })
    app.get('/x', (c) => c.text('x'))
    await expect(app.request('/x')).rejects.toBe('not an Error')
    expect(lines.map((l) => [l.level, l.record.status])).toEqual([['error', 500]])
  })

  it('filters by level and skip()', async () => {
    const { lines, logger } = capture()
    const app = makeApp({ logger, level: 'warn', skip: (c) => c.req.path.endsWith('/down') })
    await app.request('/api/users')
    await app.request('/api/users/missing')
    await app.request('/api/users/down')
    expect(lines.map((l) => l.record.status)).toEqual([404])
    const errorsOnly = capture()
    const app2 = makeApp({ logger: errorsOnly.logger, level: 'error' })
    await app2.request('/api/users/missing')
    await app2.request('/api/users/throws')
    expect(errorsOnly.lines.map((l) => l.record.status)).toEqual([500])
  })

  it('survives a logger that throws', async () => {
    const boom = () => {
      throw new Error('disk full')
    }
    const app = makeApp({ logger: { info: boom, warn: boom, error: boom } as unknown as NonNullable<LoggingOptions['logger']> })
    const res = await app.request('/api/users')
    expect(res.status).toBe(200)
  })

  it('cannot be made to forge a second line through the path', async () => {
    const { lines, logger } = capture()
    const app = new Hono()
    app.use(logging({ logger }))
    app.get('*', (c) => c.text('x'))
    await app.request('/a%0AGET%20/admin%20200%0D')
    expect(lines).toHaveLength(1)
    expect(lines[0]?.record.message).not.toMatch(/[\r\n]/)
    expect(lines[0]?.record.path).toContain('%0A')
  })

  it('hands consola one log object per request, with the fields and a one-line message', async () => {
    const objects: LogObject[] = []
    const logger = createConsola({ level: 3, throttle: 0, reporters: [{ log: (o) => void objects.push(o) }] }).withTag('tollgate')
    const app = makeApp({ logger })
    await app.request('/api/users', { headers: secrets })
    await app.request('/api/users', { headers: secrets })
    expect(objects).toHaveLength(2)
    const [o] = objects as [LogObject & Partial<RequestLogRecord>]
    expect(o.tag).toBe('tollgate')
    expect(o.type).toBe('info')
    expect(o.args).toHaveLength(1)
    expect(String(o.args[0])).toMatch(/^GET \/api\/users 200 /)
    expect(o).toMatchObject({ method: 'GET', path: '/api/users', route: 'api-users', status: 200, clientId: 'key_42' })
  })
})
