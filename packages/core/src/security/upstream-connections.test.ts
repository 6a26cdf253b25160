// Upstream connection limits: a flood of client connections opens at most maxConnectionsPerOrigin upstream sockets.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { APIGateway } from '../gateway.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { DEFAULT_MAX_CONNECTIONS_PER_ORIGIN } from '../proxy/upstream-agent.js'

const h = createHarness()
afterEach(() => h.close())

describe('maxConnectionsPerOrigin', () => {
  it(`2,000 concurrent client connections open at most the default ${DEFAULT_MAX_CONNECTIONS_PER_ORIGIN} sockets to a slow upstream; all are answered`, async () => {
    const up = await h.upstream({ latencyMs: 100 })
    let sockets = 0
    up.server.on('connection', () => sockets++)
    const { url } = await h.gateway((g) => g.registerRoute('/slow', up.url, { timeoutMs: 60_000 }))
    const answers = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) =>
        rawRequest(url, `/slow/${i}`).then(
          (r) => r.status,
          (e: Error) => e.message,
        ),
      ),
    )
    const statuses = new Map<unknown, number>()
    for (const s of answers) statuses.set(s, (statuses.get(s) ?? 0) + 1)
    expect(Object.fromEntries(statuses)).toEqual({ 200: 2_000 })
    expect(up.count()).toBe(2_000)
    expect(sockets).toBeGreaterThan(1)
    expect(sockets).toBeLessThanOrEqual(DEFAULT_MAX_CONNECTIONS_PER_ORIGIN)
  }, 120_000)

  it('requests past the cap wait in the queue, and /_metrics and Prometheus show how many', async () => {
    const held: Array<() => void> = []
    const up = await h.upstream({ handler: () => new Promise<boolean>((resolve) => held.push(() => resolve(false))) })
    let sockets = 0
    up.server.on('connection', () => sockets++)
    const { gateway, url } = await h.gateway((g) => g.registerRoute('/held', up.url), { maxConnectionsPerOrigin: 4 })
    const pending = Array.from({ length: 20 }, (_, i) => rawRequest(url, `/held/${i}`))
    await vi.waitFor(
      () => {
        expect(held).toHaveLength(4)
        expect(gateway.metrics.snapshot().upstream_requests_queued).toBe(16)
      },
      { timeout: 20_000, interval: 20 },
    )
    const json = (await rawRequest(url, '/_metrics')).json()
    expect(json.upstream_requests_queued).toBe(16)
    expect(json.upstream_connections[up.url]).toMatchObject({ connected: 4, running: 4, queued: 16 })
    const text = (await rawRequest(url, '/_metrics/prometheus')).body
    expect(text).toMatch(/^tollgate_upstream_requests_queued 16$/m)
    expect(text).toContain(`tollgate_upstream_connections{origin="${up.url}"} 4`)
    // Release answers one by one until every request went through; the upstream never sees a fifth socket.
    const release = setInterval(() => held.shift()?.(), 5)
    h.defer(() => clearInterval(release))
    const statuses = (await Promise.all(pending)).map((r) => r.status)
    expect(statuses).toEqual(Array(20).fill(200))
    expect(sockets).toBe(4)
    expect(gateway.metrics.snapshot().upstream_requests_queued).toBe(0)
  })

  it('rejects a value that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, '8', Number.NaN]) {
      expect(() => new APIGateway({ maxConnectionsPerOrigin: bad as number })).toThrow(
        /options\.maxConnectionsPerOrigin must be an integer/,
      )
    }
  })
})
