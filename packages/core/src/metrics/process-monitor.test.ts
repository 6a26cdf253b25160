// Process metrics through a real gateway: memory, event-loop delay, GC pauses, handles and upstream sockets, in
// /_metrics and Prometheus; the samplers run from start() to stop() only.
import { afterEach, describe, expect, it } from 'vitest'
import { retainedHeap } from '../testing/full-gc.js'
import { createHarness } from '../testing/gateway-harness.js'
import { ProcessMonitor } from './process-monitor.js'

const h = createHarness()
afterEach(() => h.close())

const until = async <T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value) || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 50))
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the /_metrics JSON read loosely
const processSection = async (url: string): Promise<any> => ((await (await fetch(`${url}/_metrics`)).json()) as any).process

describe('process metrics', () => {
  it('reports memory, event-loop delay, GC pauses, handles and upstream sockets in /_metrics and Prometheus', async () => {
    const upstream = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', upstream.url))
    expect((await fetch(`${url}/api/x`)).status).toBe(200)
    retainedHeap() // a full GC the observer must see

    const p = await until(
      () => processSection(url),
      (s) => s.event_loop_delay_p99_ms !== null && s.gc.count > 0,
    )
    expect(p.resident_memory_bytes).toBeGreaterThan(p.heap_used_bytes)
    expect(p.heap_total_bytes).toBeGreaterThanOrEqual(p.heap_used_bytes)
    expect(p.event_loop_delay_p99_ms).toBeGreaterThan(0)
    expect(p.event_loop_delay_max_ms).toBeGreaterThanOrEqual(p.event_loop_delay_p99_ms)
    expect(p.gc.by_kind.major.count).toBeGreaterThan(0)
    expect(p.active_handles).toBeGreaterThan(0)
    expect(p.active_handles_by_type.TCPServerWrap).toBeGreaterThan(0)
    // The keep-alive socket of the request above.
    expect(p.open_upstream_sockets).toBeGreaterThanOrEqual(1)

    const text = await (await fetch(`${url}/_metrics/prometheus`)).text()
    for (const line of [
      '# TYPE process_resident_memory_bytes gauge',
      '# TYPE process_cpu_user_seconds_total counter',
      '# TYPE nodejs_heap_size_used_bytes gauge',
      '# TYPE nodejs_heap_size_total_bytes gauge',
      '# TYPE nodejs_eventloop_lag_p99_seconds gauge',
      '# TYPE nodejs_gc_duration_seconds histogram',
      '# TYPE nodejs_active_resources gauge',
      '# TYPE tollgate_upstream_open_sockets gauge',
    ]) {
      expect(text).toContain(line)
    }
    expect(text).toMatch(/^nodejs_gc_duration_seconds_bucket\{kind="major",le="\+Inf"\} [1-9]/m)
    expect(text).toMatch(/^nodejs_gc_duration_seconds_count\{kind="major"\} [1-9]/m)
    expect(text).not.toContain('tollgate_process_')
  })

  it('samples only between start() and stop()', async () => {
    const upstream = await h.upstream()
    const { gateway, url } = await h.gateway((g) => g.registerRoute('/api', upstream.url))
    await until(
      () => processSection(url),
      (s) => s.event_loop_delay_p99_ms !== null,
    )
    await gateway.stop()
    // biome-ignore lint/suspicious/noExplicitAny: the /_metrics JSON read loosely
    const read = () => (gateway.metrics.snapshot() as any).process
    const before = read().gc.count
    retainedHeap()
    await new Promise((r) => setTimeout(r, 100))
    const after = read()
    expect(after.event_loop_delay_p99_ms).toBeNull()
    expect(after.gc.count).toBe(before)
  })

  it('a monitor never started reads memory and handles, with no delay samples', () => {
    const monitor = new ProcessMonitor(() => 3)
    const s = monitor.snapshot()
    expect(monitor.running).toBe(false)
    expect(s.heap_used_bytes).toBeGreaterThan(0)
    expect(s.event_loop_delay_p99_ms).toBeNull()
    expect(s.open_upstream_sockets).toBe(3)
    monitor.start()
    monitor.start() // idempotent
    expect(monitor.running).toBe(true)
    monitor.stop()
    monitor.stop()
    expect(monitor.running).toBe(false)
  })
})
