// Process and runtime figures: event-loop delay, heap, GC pauses, active handles; sampled while the gateway runs.
import { readdirSync } from 'node:fs'
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram, type PerformanceEntry } from 'node:perf_hooks'
import type { PrometheusFamily } from './gateway-metrics.js'

/** Upper bounds (seconds) of the GC pause histogram, as prom-client's `nodejs_gc_duration_seconds`. */
export const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}

interface GCKind {
  count: number
  seconds: number
  /** Pauses at or under each GC_BUCKETS bound (cumulative, as Prometheus wants them). */
  buckets: number[]
}

/** The `process` section of /_metrics. */
export interface ProcessSnapshot {
  resident_memory_bytes: number
  heap_used_bytes: number
  heap_total_bytes: number
  external_memory_bytes: number
  cpu_user_seconds: number
  cpu_system_seconds: number
  /** Event-loop delay since start(), ms (null before start() or without samples yet). */
  event_loop_delay_p50_ms: number | null
  event_loop_delay_p99_ms: number | null
  event_loop_delay_max_ms: number | null
  gc: { count: number; total_seconds: number; by_kind: Record<string, { count: number; seconds: number }> }
  /** Handles and requests keeping the event loop alive (process.getActiveResourcesInfo()). */
  active_handles: number
  active_handles_by_type: Record<string, number>
  /** Sockets open to upstreams (the forwarding layer's pools). */
  open_upstream_sockets: number
  open_fds: number | null
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000
const nsToMs = (ns: number): number => round3(ns / 1e6)

/** Linux only; null elsewhere. */
const openFds = (): number | null => {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return null
  }
}

const countByType = (): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) out[type] = (out[type] ?? 0) + 1
  return out
}

/**
 * Samples the event-loop delay and GC pauses between start() and stop() (nothing keeps running after stop()), and
 * reads memory, CPU and handles when asked. `openSockets` counts the sockets open to upstreams.
 * @example
 * const monitor = new ProcessMonitor(() => 0)
 * monitor.start(); monitor.snapshot().event_loop_delay_p99_ms; monitor.stop()
 */
export class ProcessMonitor {
  readonly #openSockets: () => number
  readonly #gc = new Map<string, GCKind>()
  #delay: IntervalHistogram | undefined
  #observer: PerformanceObserver | undefined

  constructor(openSockets: () => number) {
    this.#openSockets = openSockets
  }

  /** Whether the samplers run. */
  get running(): boolean {
    return this.#delay !== undefined
  }

  start(): void {
    if (this.#delay) return
    this.#delay = monitorEventLoopDelay({ resolution: 20 })
    this.#delay.enable()
    this.#observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.#recordGC(entry)
    })
    this.#observer.observe({ entryTypes: ['gc'] })
  }

  stop(): void {
    this.#delay?.disable()
    this.#delay = undefined
    this.#observer?.disconnect()
    this.#observer = undefined
  }

  #recordGC(entry: PerformanceEntry): void {
    const kindCode = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1
    const kind = GC_KINDS[kindCode] ?? 'other'
    let k = this.#gc.get(kind)
    if (!k) {
      k = { count: 0, seconds: 0, buckets: GC_BUCKETS.map(() => 0) }
      this.#gc.set(kind, k)
    }
    const seconds = entry.duration / 1000
    k.count++
    k.seconds += seconds
    GC_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) (k.buckets[i] as number)++
    })
  }

  /** The figures now, for /_metrics. */
  snapshot(): ProcessSnapshot {
    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    const delay = this.#delay
    const sampled = delay !== undefined && delay.count > 0
    const byKind: ProcessSnapshot['gc']['by_kind'] = {}
    let count = 0
    let seconds = 0
    for (const [kind, k] of this.#gc) {
      byKind[kind] = { count: k.count, seconds: round3(k.seconds) }
      count += k.count
      seconds += k.seconds
    }
    const byType = countByType()
    return {
      resident_memory_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      heap_total_bytes: memory.heapTotal,
      external_memory_bytes: memory.external,
      cpu_user_seconds: cpu.user / 1e6,
      cpu_system_seconds: cpu.system / 1e6,
      event_loop_delay_p50_ms: sampled ? nsToMs(delay.percentile(50)) : null,
      event_loop_delay_p99_ms: sampled ? nsToMs(delay.percentile(99)) : null,
      event_loop_delay_max_ms: sampled ? nsToMs(delay.max) : null,
      gc: { count, total_seconds: round3(seconds), by_kind: byKind },
      active_handles: Object.values(byType).reduce((a, b) => a + b, 0),
      active_handles_by_type: byType,
      open_upstream_sockets: this.#openSockets(),
      open_fds: openFds(),
    }
  }

  /** The same figures under the names Prometheus exporters share (`process_*`, `nodejs_*`). */
  prometheus(): PrometheusFamily[] {
    const s = this.snapshot()
    const gauge = (name: string, help: string, value: number | null): PrometheusFamily[] =>
      value === null ? [] : [{ name, help, type: 'gauge', standard: true, samples: [{ value }] }]
    const counter = (name: string, help: string, value: number): PrometheusFamily => ({
      name,
      help,
      type: 'counter',
      standard: true,
      samples: [{ value }],
    })
    const delaySeconds = (ms: number | null) => (ms === null ? null : ms / 1000)
    return [
      gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', s.resident_memory_bytes),
      [counter('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', s.cpu_user_seconds)],
      [counter('process_cpu_system_seconds_total', 'System CPU time spent in seconds.', s.cpu_system_seconds)],
      gauge('process_open_fds', 'Number of open file descriptors.', s.open_fds),
      gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', s.heap_used_bytes),
      gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', s.heap_total_bytes),
      gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', s.external_memory_bytes),
      gauge(
        'nodejs_eventloop_lag_p50_seconds',
        'The 50th percentile of the event loop delay, since start.',
        delaySeconds(s.event_loop_delay_p50_ms),
      ),
      gauge(
        'nodejs_eventloop_lag_p99_seconds',
        'The 99th percentile of the event loop delay, since start.',
        delaySeconds(s.event_loop_delay_p99_ms),
      ),
      gauge('nodejs_eventloop_lag_max_seconds', 'The largest event loop delay seen, since start.', delaySeconds(s.event_loop_delay_max_ms)),
      [
        {
          name: 'nodejs_active_resources',
          help: 'Active handles and requests keeping the event loop alive, by type.',
          type: 'gauge' as const,
          standard: true,
          samples: Object.entries(s.active_handles_by_type).map(([type, value]) => ({ labels: { type }, value })),
        },
      ],
      gauge('tollgate_upstream_open_sockets', 'Sockets open to upstreams.', s.open_upstream_sockets),
      [this.#gcFamily()],
    ].flat()
  }

  #gcFamily(): PrometheusFamily {
    const samples: PrometheusFamily['samples'][number][] = []
    for (const [kind, k] of this.#gc) {
      GC_BUCKETS.forEach((le, i) => {
        samples.push({ suffix: '_bucket', labels: { kind, le: String(le) }, value: k.buckets[i] as number })
      })
      samples.push({ suffix: '_bucket', labels: { kind, le: '+Inf' }, value: k.count })
      samples.push({ suffix: '_sum', labels: { kind }, value: k.seconds })
      samples.push({ suffix: '_count', labels: { kind }, value: k.count })
    }
    return {
      name: 'nodejs_gc_duration_seconds',
      help: 'Garbage collection pauses, by kind, in seconds.',
      type: 'histogram',
      standard: true,
      samples,
    }
  }
}
