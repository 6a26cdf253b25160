import { describe, expect, it } from 'vitest'
import { GatewayMetrics } from './gateway-metrics.js'
import { dumpMetrics, metricsFromDump } from './metrics-dump.js'
import { mergeMetricsDumps } from './merge-metrics.js'
import { renderPrometheus } from './prometheus.js'

/** Two processes' metrics with what a gateway records: routes, statuses, latencies, counters, gauges, families. */
const twoWorkers = () => {
  const startedAt = (ms: number) => {
    let calls = 0
    return { now: () => (calls++ === 0 ? 0 : ms) } // constructed at 0, read at `ms`
  }
  const a = new GatewayMetrics(startedAt(5_000))
  const b = new GatewayMetrics(startedAt(9_000))
  const usersA = a.route('users')
  const usersB = b.route('users')
  const ordersB = b.route('orders')
  for (let i = 0; i < 90; i++) a.recordRequest(usersA, 200, 1)
  for (let i = 0; i < 10; i++) b.recordRequest(usersB, 503, 100)
  b.recordRequest(ordersB, 429, 2)
  b.recordRequest(undefined, 404, 0.5)
  a.increment('cache_hits', usersA, 3)
  b.increment('cache_hits', usersB, 4)
  b.increment('requests_rate_limited', ordersB)
  b.increment('only_in_b', ordersB, 7)
  a.gauge('cache_size', () => 100)
  b.gauge('cache_size', () => 50)
  a.section('stores', () => ({ rate_limit: 'a' }))
  b.section('stores', () => ({ rate_limit: 'b' }))
  const families = (rss: number, failures: number) => () => [
    { name: 'process_resident_memory_bytes', help: 'RSS', type: 'gauge' as const, samples: [{ value: rss }] },
    {
      name: 'tollgate_store_failures_total',
      help: 'fails',
      type: 'counter' as const,
      samples: [{ labels: { store: 'redis' }, value: failures }],
    },
  ]
  a.prometheus(families(1_000, 2))
  b.prometheus(families(3_000, 5))
  return { a, b }
}

describe('mergeMetricsDumps', () => {
  it('adds counters, status classes and histograms per route and overall; the merged percentiles are those of all requests', () => {
    const { a, b } = twoWorkers()
    const merged = metricsFromDump(mergeMetricsDumps([dumpMetrics(a), dumpMetrics(b)])).snapshot()
    expect(merged).toMatchObject({
      requests_total: 102,
      requests_success: 90,
      requests_failed: 10,
      requests_client_error: 2,
      cache_hits: 7,
      requests_rate_limited: 1,
      only_in_b: 7,
      status: { '2xx': 90, '4xx': 2, '5xx': 10 },
      cache_size: 150,
      uptime_seconds: 9,
      stores: { rate_limit: 'a' },
    })
    expect(merged.routes.users).toMatchObject({ requests_total: 100, requests_failed: 10, cache_hits: 7, error_rate: 0.1 })
    expect(merged.routes.orders).toMatchObject({ requests_total: 1, requests_client_error: 1, requests_rate_limited: 1, only_in_b: 7 })
    expect(Object.keys(merged.routes)).toEqual(['users', 'orders'])
    // 90 requests at 1 ms and 10 at 100 ms on the route: p50 is ~1 ms, p95 ~100 ms (neither worker alone says so).
    expect(merged.routes.users!.p50).toBeCloseTo(1, 1)
    expect(merged.routes.users!.p95).toBeGreaterThan(98)
    expect(merged.latency_mean_ms).toBeCloseTo((90 * 1 + 10 * 100 + 2 + 0.5) / 102, 2)
  })

  it('renders Prometheus from the merged dump: summed histograms and counters, per-worker gauges', () => {
    const { a, b } = twoWorkers()
    const text = renderPrometheus(metricsFromDump(mergeMetricsDumps([dumpMetrics(a), dumpMetrics(b)], ['w1', 'w2'])))
    expect(text).toContain('tollgate_requests_total{route="users",status_class="2xx"} 90')
    expect(text).toContain('tollgate_requests_total{route="users",status_class="5xx"} 10')
    expect(text).toContain('tollgate_requests_total{route="_unmatched",status_class="4xx"} 1')
    expect(text).toContain('tollgate_request_duration_seconds_count{route="users"} 100')
    expect(text).toContain('tollgate_request_duration_seconds_bucket{route="users",le="0.005"} 90')
    expect(text).toContain('tollgate_request_duration_seconds_bucket{route="users",le="+Inf"} 100')
    expect(text).toContain('tollgate_cache_hits_total{route="users"} 7')
    expect(text).toContain('tollgate_store_failures_total{store="redis"} 7')
    expect(text).toContain('tollgate_process_resident_memory_bytes{worker="w1"} 1000')
    expect(text).toContain('tollgate_process_resident_memory_bytes{worker="w2"} 3000')
    expect(text).toContain('tollgate_cache_size 150')
  })

  it('one dump round-trips unchanged through dump → merge → restore', () => {
    const { a } = twoWorkers()
    const restored = metricsFromDump(mergeMetricsDumps([dumpMetrics(a)]))
    expect(restored.snapshot()).toEqual(a.snapshot())
  })

  it('survives JSON (what IPC sends) and reports a gauge that failed as null in the sum', () => {
    const { a, b } = twoWorkers()
    b.gauge('queue', () => {
      throw new Error('broken')
    })
    a.gauge('queue', () => 1)
    const viaJson = [dumpMetrics(a), dumpMetrics(b)].map((d) => JSON.parse(JSON.stringify(d)))
    const merged = metricsFromDump(mergeMetricsDumps(viaJson)).snapshot()
    expect(merged.requests_total).toBe(102)
    expect(merged.queue).toBeNull()
  })

  it('refuses an empty list', () => {
    expect(() => mergeMetricsDumps([])).toThrow(RangeError)
  })
})
