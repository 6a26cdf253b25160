import { describe, expect, it } from 'vitest'
import type { PoolSpec, UpstreamSpec } from './types.js'
import { UpstreamPool } from './upstream-pool.js'

const rejects = (upstream: unknown, message: string | RegExp) => expect(() => new UpstreamPool(upstream as UpstreamSpec)).toThrow(message)

describe('UpstreamPool: validation', () => {
  it('accepts a URL, a list of URLs and a pool spec, with weight 1 by default', () => {
    expect(new UpstreamPool('http://127.0.0.1:8001').targets).toHaveLength(1)
    const pool = new UpstreamPool(['http://127.0.0.1:8001', 'http://127.0.0.1:8002/base/'])
    expect(pool.targets.map((t) => [t.index, t.origin, t.basePath, t.weight])).toEqual([
      [0, 'http://127.0.0.1:8001', '', 1],
      [1, 'http://127.0.0.1:8002', '/base', 1],
    ])
    expect(pool.healthCheck).toBeUndefined()
    expect(pool.hashOn).toBeUndefined()
  })

  it('names the offending field', () => {
    rejects(42, 'upstream must be a URL string, a list of URLs, or { targets: [...] }, got 42')
    rejects({ targets: [] }, 'upstream.targets must be a list of at least one target')
    rejects(['http://127.0.0.1:8001', 'not a url'], /^upstream\[1\] must be an absolute http\(s\) URL/)
    rejects({ targets: ['http://a.test', { url: 7 }] }, /^upstream\.targets\[1\]\.url must be an absolute/)
    rejects({ targets: ['ftp://a.test'] }, /^upstream\.targets\[0\] must use http: or https:/)
    rejects({ targets: ['http://a.test/?q=1'] }, /^upstream\.targets\[0\] must not carry a query/)
    rejects(
      { targets: ['http://a.test', { url: 'http://b.test', weight: 0 }] },
      /^upstream\.targets\[1\]\.weight must be an integer from 1 to 1000, got 0/,
    )
    rejects({ targets: [{ url: 'http://b.test', weight: 1.5 }] }, /upstream\.targets\[0\]\.weight/)
    rejects({ targets: ['http://a.test', 'http://a.test/'] }, /^upstream\.targets\[1\] duplicates upstream\.targets\[0\]/)
    rejects(
      { targets: ['http://a.test'], balance: 'fastest' },
      /^upstream\.balance must be one of 'round-robin', 'least-connections', 'random', 'hash', got "fastest"/,
    )
    rejects({ targets: ['http://a.test'], balance: 'hash', hashOn: 'x user' }, /^upstream\.hashOn must be a header name/)
    rejects(
      { targets: ['http://a.test'], healthCheck: { path: 'health' } },
      /^upstream\.healthCheck\.path must be a path starting with "\/"/,
    )
    rejects(
      { targets: ['http://a.test'], healthCheck: { path: '/h', intervalMs: 0 } },
      /^upstream\.healthCheck\.intervalMs must be an integer/,
    )
    rejects({ targets: ['http://a.test'], healthCheck: { path: '/h', timeoutMs: -1 } }, /^upstream\.healthCheck\.timeoutMs/)
    rejects({ targets: ['http://a.test'], healthCheck: { path: '/h', healthyThreshold: 0 } }, /^upstream\.healthCheck\.healthyThreshold/)
    rejects(
      { targets: ['http://a.test'], healthCheck: { path: '/h', unhealthyThreshold: '3' } },
      /^upstream\.healthCheck\.unhealthyThreshold/,
    )
    rejects(
      { targets: ['http://a.test'], healthCheck: { path: '/h', interval: 100 } },
      /^upstream\.healthCheck\.interval is not a known option \(did you mean intervalMs\?\)/,
    )
  })

  it('fills health-check defaults and lower-cases hashOn', () => {
    const spec: PoolSpec = { targets: ['http://a.test'], balance: 'hash', hashOn: 'X-User-Id', healthCheck: { path: '/health' } }
    const pool = new UpstreamPool(spec)
    expect(pool.hashOn).toBe('x-user-id')
    expect(pool.healthCheck).toEqual({ path: '/health', intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3 })
    const custom = new UpstreamPool({ targets: ['http://a.test'], healthCheck: { path: '/h', intervalMs: 200, unhealthyThreshold: 1 } })
    expect(custom.healthCheck).toMatchObject({ intervalMs: 200, timeoutMs: 1000, unhealthyThreshold: 1 })
  })
})

describe('UpstreamPool: drain, counts, snapshot', () => {
  const eligible = (t: { healthy: boolean; draining: boolean }) => t.healthy && !t.draining

  it('drains a target so no new picks reach it, and undrains it', () => {
    const pool = new UpstreamPool(['http://a.test', 'http://b.test', 'http://c.test'])
    expect(pool.drain(1)).toBe(true)
    expect(pool.drain(3)).toBe(false)
    expect(pool.drain(-1)).toBe(false)
    expect(pool.undrain(9)).toBe(false)
    const picks = Array.from({ length: 30 }, () => pool.pick(eligible)?.index)
    expect(picks).not.toContain(1)
    expect(pool.healthyCount()).toBe(2)
    expect(pool.undrain(1)).toBe(true)
    expect(Array.from({ length: 30 }, () => pool.pick(eligible)?.index)).toContain(1)
    expect(pool.healthyCount()).toBe(3)
  })

  it('reports every target as plain JSON', () => {
    const pool = new UpstreamPool({ targets: ['http://a.test', { url: 'http://b.test/v1', weight: 2 }] })
    const b = pool.targets[1]!
    b.healthy = false
    b.inFlight = 2
    b.requests = 10
    b.failures = 3
    b.lastCheckAt = 1_700_000_000_000
    b.lastCheckError = 'unhealthy status 500'
    pool.drain(0)
    expect(pool.healthyCount()).toBe(0)
    expect(JSON.parse(JSON.stringify(pool.snapshot()))).toEqual([
      {
        index: 0,
        url: 'http://a.test',
        weight: 1,
        healthy: true,
        draining: true,
        inFlight: 0,
        requests: 0,
        failures: 0,
        lastCheckAt: null,
        lastCheckError: null,
      },
      {
        index: 1,
        url: 'http://b.test/v1',
        weight: 2,
        healthy: false,
        draining: false,
        inFlight: 2,
        requests: 10,
        failures: 3,
        lastCheckAt: 1_700_000_000_000,
        lastCheckError: 'unhealthy status 500',
      },
    ])
  })

  it('does nothing on startHealthChecks without a healthCheck', async () => {
    const pool = new UpstreamPool('http://a.test')
    expect(pool.startHealthChecks()).toBeUndefined()
    expect(pool.healthChecker).toBeUndefined()
    await pool.stopHealthChecks()
  })
})
