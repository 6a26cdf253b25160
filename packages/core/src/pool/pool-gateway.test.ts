import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { startMockUpstream, type MockUpstream } from '../testing/mock-upstream.js'
import { freePort } from '../testing/redis-server.js'

const h = createHarness()
afterEach(() => h.close())

/** A mock upstream that tags its answers, so the client sees which target served it. */
const tagged = (name: string, options: { latencyMs?: number; port?: number } = {}) =>
  h.upstream({
    ...options,
    handler: async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(name)
      return true
    },
  })

const until = async (condition: () => boolean, timeoutMs: number): Promise<number> => {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
  return Date.now() - started
}

describe('load balancing through the gateway', () => {
  it('splits 3:1 weights within ±5% over 1,000 requests, never more than 3 in a row to the heavy target', async () => {
    const heavy = await tagged('a')
    const light = await tagged('b')
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', {
        targets: [
          { url: heavy.url, weight: 3 },
          { url: light.url, weight: 1 },
        ],
      }),
    )
    const order: string[] = []
    for (let i = 0; i < 1_000; i++) order.push(await (await fetch(`${url}/api`)).text())
    const a = order.filter((x) => x === 'a').length
    expect(a).toBeGreaterThanOrEqual(750 * 0.95)
    expect(a).toBeLessThanOrEqual(750 * 1.05)
    expect(order.join('')).not.toMatch(/aaaa/)
  })

  it('sends most requests to the fast target under least-connections', async () => {
    const slow = await tagged('slow', { latencyMs: 60 })
    const fast = await tagged('fast')
    const { url } = await h.gateway((g) => g.registerRoute('/api', { targets: [slow.url, fast.url], balance: 'least-connections' }))
    const served: string[] = []
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) served.push(await (await fetch(`${url}/api`)).text())
      }),
    )
    const fastShare = served.filter((s) => s === 'fast').length / served.length
    expect(fastShare).toBeGreaterThan(0.75)
  })

  it('keeps a caller on one target with hash balancing on a header', async () => {
    const targets = await Promise.all(['t0', 't1', 't2', 't3'].map((n) => tagged(n)))
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', { targets: targets.map((t) => t.url), balance: 'hash', hashOn: 'x-user' }),
    )
    const seen = new Map<string, Set<string>>()
    for (let user = 0; user < 40; user++) {
      for (let i = 0; i < 3; i++) {
        const body = (await rawRequest(url, '/api', { headers: { 'x-user': `user-${user}` } })).body
        seen.set(`user-${user}`, (seen.get(`user-${user}`) ?? new Set()).add(body))
      }
    }
    expect([...seen.values()].every((s) => s.size === 1)).toBe(true)
    expect(new Set([...seen.values()].map((s) => [...s][0])).size).toBeGreaterThan(1)
  })
})

describe('health checks and failover', () => {
  it('loses no request when one of three targets dies mid-load, marks it unhealthy in time, and takes it back', async () => {
    const intervalMs = 100
    const unhealthyThreshold = 2
    const a = await tagged('a')
    const b = await tagged('b')
    const port = await freePort()
    let c: MockUpstream | undefined = await startMockUpstream({ port, handler: (_q, res) => (res.end('c'), true) })
    h.defer(() => c?.close())
    const { url, gateway } = await h.gateway((g) =>
      g.registerRoute(
        '/api',
        {
          targets: [a.url, b.url, c!.url],
          healthCheck: { path: '/health', intervalMs, timeoutMs: 1_000, healthyThreshold: 1, unhealthyThreshold },
        },
        { retry: { attempts: 3, initialDelayMs: 1 } },
      ),
    )
    const target = () => gateway.routes[0]!.pool.targets[2]!
    const failures: number[] = []
    const served: string[] = []
    let loading = true
    const stopLoad = async (error: unknown): Promise<never> => {
      loading = false
      await load
      throw error
    }
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (loading) {
          const res = await fetch(`${url}/api/items`).catch(() => undefined)
          if (res?.status !== 200) failures.push(res?.status ?? 0)
          else served.push(await res.text())
        }
      }),
    )
    await until(() => served.includes('c'), 5_000).catch(stopLoad)
    await c.close()
    c = undefined
    // The exact schedule (unhealthyThreshold probes) is checked with fake timers in health-checker.test.ts;
    // here real probes on a possibly loaded machine only have to notice within a few intervals.
    await until(() => !target().healthy, 5_000).catch(stopLoad)
    c = await startMockUpstream({ port, handler: (_q, res) => (res.end('c'), true) })
    await until(() => target().healthy, 5_000).catch(stopLoad)
    const mark = served.length
    await until(() => served.slice(mark).includes('c'), 5_000).catch(stopLoad)
    loading = false
    await load
    expect(failures).toEqual([])
    expect(served.length).toBeGreaterThan(mark)
  })

  it('answers 503 no_healthy_upstream with Retry-After when every target is down', async () => {
    const ports = [await freePort(), await freePort()]
    const { url, gateway } = await h.gateway((g) =>
      g.registerRoute('/api', {
        targets: ports.map((p) => `http://127.0.0.1:${p}`),
        healthCheck: { path: '/health', intervalMs: 30, timeoutMs: 20, unhealthyThreshold: 1 },
      }),
    )
    await until(() => gateway.routes[0]!.pool.healthyCount() === 0, 2_000)
    const res = await rawRequest(url, '/api')
    expect(res.status).toBe(503)
    expect(res.json().error.code).toBe('no_healthy_upstream')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    const health = (await rawRequest(url, '/_health')).json()
    expect(health.status).toBe('degraded')
    expect(health.routes[0].targets.map((t: { healthy: boolean }) => t.healthy)).toEqual([false, false])
  })

  it('drains a target: its in-flight request completes, no new request reaches it', async () => {
    const slow = await tagged('slow', { latencyMs: 200 })
    const other = await tagged('other')
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/api', [slow.url, other.url], { id: 'orders' }))
    const inFlight = rawRequest(url, '/api') // round-robin: the first request goes to `slow`
    await until(() => slow.count() === 1, 1_000)
    expect(gateway.drainTarget('orders', 0)).toBe(true)
    expect(gateway.drainTarget('orders', 7)).toBe(false)
    const later = await Promise.all(Array.from({ length: 10 }, () => rawRequest(url, '/api')))
    expect((await inFlight).body).toBe('slow')
    expect(later.every((r) => r.body === 'other')).toBe(true)
    expect(slow.count()).toBe(1)
    const metrics = (await rawRequest(url, '/_metrics')).json()
    expect(metrics.pools.orders.targets[0]).toMatchObject({ draining: true, requests: 1, inFlight: 0 })
    const prometheus = (await rawRequest(url, '/_metrics/prometheus')).body
    expect(prometheus).toContain(`tollgate_target_healthy{route="orders",target="${slow.url}"} 0`)
  })
})
