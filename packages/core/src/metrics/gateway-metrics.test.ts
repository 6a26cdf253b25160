import FakeTimers from '@sinonjs/fake-timers'
import { afterEach, describe, expect, it } from 'vitest'
import { GatewayMetrics } from './gateway-metrics.js'
import { retainedHeap } from '../testing/full-gc.js'

describe('GatewayMetrics', () => {
  let clock: ReturnType<typeof FakeTimers.install> | undefined
  afterEach(() => {
    clock?.uninstall()
    clock = undefined
  })

  it('starts with every required key at zero', () => {
    const s = new GatewayMetrics({ now: () => 5_000 }).snapshot()
    for (const key of [
      'requests_total',
      'requests_success',
      'requests_failed',
      'requests_rate_limited',
      'cache_hits',
      'cache_misses',
      'cache_size',
      'p50',
      'p90',
      'p95',
      'p99',
      'error_rate',
      'uptime_seconds',
    ]) {
      expect(s[key], key).toBe(0)
    }
    expect(s.circuit_breakers).toEqual({})
    expect(s.routes).toEqual({})
  })

  it('classifies statuses overall and per route', () => {
    const m = new GatewayMetrics()
    const users = m.route('api-users')
    const orders = m.route('api-orders')
    for (const status of [200, 201, 304, 404, 429, 500, 502]) m.recordRequest(users, status, 10)
    m.recordRequest(orders, 200, 20)
    m.recordRequest(undefined, 404, 1)
    const s = m.snapshot()
    expect(s).toMatchObject({
      requests_total: 9,
      requests_success: 4,
      requests_failed: 2,
      requests_client_error: 3,
      status: { '1xx': 0, '2xx': 3, '3xx': 1, '4xx': 3, '5xx': 2 },
    })
    expect(s.error_rate).toBeCloseTo(2 / 9)
    expect(s.routes['api-users']).toMatchObject({
      requests_total: 7,
      requests_success: 3,
      requests_failed: 2,
      requests_client_error: 2,
      status: { '2xx': 2, '3xx': 1, '4xx': 2, '5xx': 2 },
    })
    expect(s.routes['api-users']?.error_rate).toBeCloseTo(2 / 7)
    expect(s.routes['api-orders']).toMatchObject({ requests_total: 1, requests_success: 1, p50: 20 })
    // Unmatched requests count overall but form no route entry.
    expect(Object.keys(s.routes)).toEqual(['api-users', 'api-orders'])
    expect(m.unmatched.requestsTotal).toBe(1)
  })

  it('clamps odd statuses into the nearest class', () => {
    const m = new GatewayMetrics()
    m.recordRequest(undefined, 101, 1)
    m.recordRequest(undefined, 0, 1)
    m.recordRequest(undefined, 999, 1)
    expect(m.snapshot()).toMatchObject({ status: { '1xx': 2, '5xx': 1 }, requests_success: 2, requests_failed: 1 })
  })

  it('returns the same handle for a route id', () => {
    const m = new GatewayMetrics()
    expect(m.route('a')).toBe(m.route('a'))
    m.recordRequest(m.route('a'), 200, 1)
    expect(m.dropRoute('a')).toBe(true)
    expect(m.snapshot().routes).toEqual({})
    expect(m.snapshot().requests_total).toBe(1)
  })

  it('reports latency percentiles overall and per route', () => {
    const m = new GatewayMetrics()
    const fast = m.route('fast')
    const slow = m.route('slow')
    for (let i = 1; i <= 100; i++) {
      m.recordRequest(fast, 200, i)
      m.recordRequest(slow, 200, i * 10)
    }
    const s = m.snapshot()
    expect(s.routes.fast?.p50).toBeCloseTo(50, -0.5)
    expect(s.routes.slow?.p99).toBeGreaterThan(990 * (1 - 1 / 64))
    expect(s.routes.slow?.p99).toBeLessThan(990 * (1 + 1 / 64))
    // Overall: 200 values, the median is between the two routes' ranges.
    expect(s.p50).toBeGreaterThan(90)
    expect(s.p50).toBeLessThan(101)
    expect(s.p90).toBeLessThanOrEqual(s.p95)
    expect(s.p95).toBeLessThanOrEqual(s.p99)
    expect(s.latency_mean_ms).toBeCloseTo((5050 + 50500) / 200)
  })

  it('increments named counters overall and per route, creating new ones at 0', () => {
    const m = new GatewayMetrics()
    const users = m.route('api-users')
    const other = m.route('other')
    m.increment('requests_rate_limited', users)
    m.increment('requests_rate_limited', users)
    m.increment('cache_hits', users, 3)
    m.increment('cache_misses')
    m.increment('auth_failures', other)
    const late = m.route('late')
    const s = m.snapshot()
    expect(s).toMatchObject({ requests_rate_limited: 2, cache_hits: 3, cache_misses: 1, auth_failures: 1 })
    expect(s.routes['api-users']).toMatchObject({ requests_rate_limited: 2, cache_hits: 3, cache_misses: 0, auth_failures: 0 })
    expect(s.routes.other).toMatchObject({ requests_rate_limited: 0, auth_failures: 1 })
    expect(s.routes.late).toMatchObject({ requests_rate_limited: 0, auth_failures: 0 })
    expect(m.counter('cache_hits')).toBe(3)
    expect(m.counter('never')).toBe(0)
    expect(m.routeCounter(users, 'requests_rate_limited')).toBe(2)
    expect(late.counters).toHaveLength(m.counterNames().length)
  })

  it('evaluates gauges and sections only at snapshot time', () => {
    const m = new GatewayMetrics()
    let size = 0
    let reads = 0
    m.gauge('cache_size', () => {
      reads++
      return size
    })
    const breakers: Record<string, { state: string; failures: number }> = {}
    m.section('circuit_breakers', () => breakers)
    const unregister = m.section('upstreams', () => ({ 'http://a': { healthy: true } }))
    expect(reads).toBe(0)
    size = 7
    breakers['http://127.0.0.1:8001'] = { state: 'OPEN', failures: 5 }
    const s = m.snapshot()
    expect(reads).toBe(1)
    expect(s.cache_size).toBe(7)
    expect(s.circuit_breakers).toEqual({ 'http://127.0.0.1:8001': { state: 'OPEN', failures: 5 } })
    expect(s.upstreams).toEqual({ 'http://a': { healthy: true } })
    unregister()
    expect(m.snapshot().upstreams).toBeUndefined()
  })

  it('keeps /_metrics working when a gauge or section throws', () => {
    const m = new GatewayMetrics()
    m.gauge('queue_depth', () => {
      throw new Error('boom')
    })
    m.section('stores', () => {
      throw new Error('boom')
    })
    const s = m.snapshot()
    expect(s.queue_depth).toBeNull()
    expect(s.stores).toEqual({ error: 'section failed' })
  })

  it('rejects invalid or clashing names', () => {
    const m = new GatewayMetrics()
    expect(() => m.gauge('Bad-Name', () => 1)).toThrow(TypeError)
    expect(() => m.gauge('requests_total', () => 1)).toThrow(TypeError)
    expect(() => m.section('routes', () => 1)).toThrow(TypeError)
    expect(() => m.section('cache_hits', () => 1)).toThrow(TypeError)
    expect(() => m.section('cache_size', () => 1)).toThrow(TypeError)
    expect(() => m.increment('p99')).toThrow(TypeError)
    m.gauge('pool_size', () => 1)
    expect(() => m.increment('pool_size')).toThrow(TypeError)
    // Re-registering under the same kind replaces.
    m.gauge('pool_size', () => 2)
    expect(m.snapshot().pool_size).toBe(2)
  })

  it('reports uptime from the injected clock', () => {
    clock = FakeTimers.install({ now: 1_000_000, toFake: ['Date'] })
    const m = new GatewayMetrics({ now: () => Date.now() })
    clock.tick(90_500)
    expect(m.snapshot().uptime_seconds).toBe(90.5)
  })

  it('retains nothing per request (heap after a full GC stays flat over 500k requests)', () => {
    const m = new GatewayMetrics()
    const r = m.route('hot')
    for (let i = 0; i < 10_000; i++) m.recordRequest(r, 200, i % 50)
    const before = retainedHeap()
    for (let i = 0; i < 500_000; i++) m.recordRequest(r, i % 7 === 0 ? 503 : 200, (i % 300) * 0.11)
    expect(retainedHeap() - before).toBeLessThan(256 * 1024)
    expect(m.snapshot().requests_total).toBe(510_000)
  })
})
