import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { redisAvailable, startRedisServer } from '../testing/redis-server.js'
import { readinessOf } from './readiness.js'

const h = createHarness()
afterEach(() => h.close())

/** Polls `path` until `done` holds for its answer (bounded generously: health checks and reconnects are real I/O). */
const until = async (url: string, path: string, done: (status: number) => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await rawRequest(url, path)
    if (done(res.status) || Date.now() > deadline) return res
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('readinessOf', () => {
  it('names every reason: draining, a store not up, a health-checked route without a healthy target', () => {
    const stores = { rate_limit: { status: 'down', failures: 3 }, redis: 'reconnecting' }
    const routes = [
      { id: 'api', healthChecked: true, healthyTargets: 0 },
      { id: 'plain', healthChecked: false, healthyTargets: 0 },
      { id: 'ok', healthChecked: true, healthyTargets: 1 },
    ]
    expect(readinessOf(true, stores, routes)).toEqual({
      ready: false,
      reasons: ['draining', 'store rate_limit is down', 'route api has no healthy target'],
    })
    expect(readinessOf(false, { rate_limit: { status: 'up' } }, routes.slice(1))).toEqual({ ready: true, reasons: [] })
  })
})

describe('/_health/live and /_health/ready', () => {
  it('answer 200 on a default gateway, without a token, uncached (HEAD too)', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { adminToken: 'admin-token-for-tests' })
    const live = await rawRequest(url, '/_health/live')
    expect([live.status, live.json(), live.headers['cache-control']]).toEqual([200, { status: 'ok' }, 'no-store'])
    const ready = await rawRequest(url, '/_health/ready')
    expect([ready.status, ready.json()]).toEqual([200, { status: 'ready' }])
    expect((await rawRequest(url, '/_health/ready', { method: 'HEAD' })).status).toBe(200)
    expect((await rawRequest(url, '/_health')).json()).toMatchObject({ status: 'ok', routes: [{ id: 'api' }] })
  })

  it('ready is 503 while a health-checked route has no healthy target; a route without checks does not count', async () => {
    const up = await h.upstream({
      handler: (req, res) => {
        if (req.url !== '/health') return false
        res.writeHead(failing ? 503 : 200).end()
        return true
      },
    })
    let failing = false
    const healthCheck = { path: '/health', intervalMs: 20, unhealthyThreshold: 1, healthyThreshold: 1 }
    const { url } = await h.gateway((g) => {
      g.registerRoute('/checked', { targets: [up.url], healthCheck })
      g.registerRoute('/dead', 'http://127.0.0.1:9') // no health check: readiness does not probe it
    })
    expect((await until(url, '/_health/ready', (s) => s === 200)).status).toBe(200)
    failing = true
    const down = await until(url, '/_health/ready', (s) => s === 503)
    expect([down.status, down.json()]).toEqual([503, { status: 'not_ready', reasons: ['route checked has no healthy target'] }])
    failing = false
    expect((await until(url, '/_health/ready', (s) => s === 200)).status).toBe(200)
  })

  it.skipIf(!redisAvailable())('ready is 503 while the shared Redis store is down, and 200 again once it is back', async () => {
    const redis = await startRedisServer()
    h.defer(() => redis.close())
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { rateLimit: { requestsPerMinute: 1000 } }), {
      redisUrl: redis.url,
    })
    expect((await until(url, '/_health/ready', (s) => s === 200)).status).toBe(200)
    await redis.stop()
    const down = await until(url, '/_health/ready', (s) => s === 503)
    expect(down.json()).toEqual({ status: 'not_ready', reasons: ['store rate_limit is down'] })
    expect((await rawRequest(url, '/api/x')).status).toBe(200) // the fallback policy still serves
    await redis.restart()
    expect((await until(url, '/_health/ready', (s) => s === 200)).status).toBe(200)
  })

  it('fetch() without a listener: live and ready answer, the status details do not (no bound address to trust)', async () => {
    const gateway = new APIGateway({ logger: captureLogger() })
    h.defer(() => gateway.stop())
    expect((await gateway.fetch(new Request('http://gw/_health/ready'))).status).toBe(200)
    expect((await gateway.fetch(new Request('http://gw/_metrics'))).status).toBe(404)
    const open = new APIGateway({ logger: captureLogger(), publicStatus: true })
    expect((await open.fetch(new Request('http://gw/_metrics'))).status).toBe(200)
  })
})
