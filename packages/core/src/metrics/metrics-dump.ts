// GatewayMetrics as plain JSON and back: what one process sends another (cluster workers) to report all of them at once.
import { GatewayMetrics, STATUS_CLASSES, type PrometheusFamily, type RouteMetrics } from './gateway-metrics.js'
import type { HistogramDump } from './latency-histogram.js'

/** One handle (a route, all requests, or the unmatched ones) as plain JSON; counters by name. */
export interface HandleDump {
  id: string
  requestsTotal: number
  requestsSuccess: number
  requestsFailed: number
  requestsClientError: number
  /** Indexed like STATUS_CLASSES. */
  statusClasses: number[]
  counters: Record<string, number>
  latency: HistogramDump
}

/** Everything /_metrics and /_metrics/prometheus read from a GatewayMetrics, evaluated now, as plain JSON. */
export interface MetricsDump {
  uptimeSeconds: number
  /** Counter names in definition order (built-ins first). */
  counterNames: string[]
  overall: HandleDump
  unmatched: HandleDump
  routes: HandleDump[]
  /** null: the gauge failed to read. */
  gauges: Record<string, number | null>
  sections: Record<string, unknown>
  families: PrometheusFamily[]
}

const dumpHandle = (metrics: GatewayMetrics, handle: RouteMetrics): HandleDump => {
  const counters: Record<string, number> = {}
  for (const name of metrics.counterNames()) counters[name] = metrics.routeCounter(handle, name)
  return {
    id: handle.id,
    requestsTotal: handle.requestsTotal,
    requestsSuccess: handle.requestsSuccess,
    requestsFailed: handle.requestsFailed,
    requestsClientError: handle.requestsClientError,
    statusClasses: [...handle.statusClasses],
    counters,
    latency: handle.latency.dump(),
  }
}

/** A JSON-safe copy of everything `metrics` reports now (gauges, sections and families evaluated). */
export const dumpMetrics = (metrics: GatewayMetrics): MetricsDump => {
  const gauges: Record<string, number | null> = {}
  for (const [name, value] of metrics.readGauges()) gauges[name] = Number.isNaN(value) ? null : value
  const snapshot = metrics.snapshot() as unknown as Record<string, unknown>
  const sections: Record<string, unknown> = {}
  // Sections are the snapshot keys that are neither computed figures nor counters nor gauges.
  for (const name of sectionNames(metrics, snapshot)) sections[name] = snapshot[name]
  return {
    uptimeSeconds: metrics.uptimeSeconds(),
    counterNames: [...metrics.counterNames()],
    overall: dumpHandle(metrics, metrics.overall),
    unmatched: dumpHandle(metrics, metrics.unmatched),
    routes: [...metrics.routes()].map((route) => dumpHandle(metrics, route)),
    gauges,
    sections,
    families: metrics.prometheusFamilies(),
  }
}

const sectionNames = (metrics: GatewayMetrics, snapshot: Record<string, unknown>): string[] => {
  const computed = new Set(['routes', 'status', 'error_rate', 'latency_mean_ms', 'uptime_seconds', 'p50', 'p90', 'p95', 'p99'])
  for (const name of ['requests_total', 'requests_success', 'requests_failed', 'requests_client_error']) computed.add(name)
  for (const name of metrics.counterNames()) computed.add(name)
  for (const name of metrics.readGauges().keys()) computed.add(name)
  return Object.keys(snapshot).filter((name) => !computed.has(name))
}

const restoreHandle = (metrics: GatewayMetrics, handle: RouteMetrics, dump: HandleDump): void => {
  handle.requestsTotal = dump.requestsTotal
  handle.requestsSuccess = dump.requestsSuccess
  handle.requestsFailed = dump.requestsFailed
  handle.requestsClientError = dump.requestsClientError
  for (let i = 0; i < STATUS_CLASSES.length; i++) handle.statusClasses[i] = dump.statusClasses[i] ?? 0
  const names = metrics.counterNames()
  for (let i = 0; i < names.length; i++) handle.counters[i] = dump.counters[names[i] as string] ?? 0
  handle.latency.absorb(dump.latency)
}

/**
 * A read-only GatewayMetrics holding a dump (one process's, or several merged with mergeMetricsDumps), so that
 * `snapshot()` and `renderPrometheus()` report it exactly as they report a live one.
 */
export const metricsFromDump = (dump: MetricsDump): GatewayMetrics => {
  let now = 0
  const metrics = new GatewayMetrics({ now: () => now })
  now = dump.uptimeSeconds * 1000
  for (const name of dump.counterNames) metrics.increment(name, undefined, 0)
  restoreHandle(metrics, metrics.overall, dump.overall)
  restoreHandle(metrics, metrics.unmatched, dump.unmatched)
  for (const route of dump.routes) restoreHandle(metrics, metrics.route(route.id), route)
  for (const [name, value] of Object.entries(dump.gauges)) metrics.gauge(name, () => value ?? Number.NaN)
  for (const [name, value] of Object.entries(dump.sections)) metrics.section(name, () => value)
  const families = dump.families
  metrics.prometheus(() => families)
  return metrics
}

const aggregators = new WeakMap<GatewayMetrics, () => Promise<MetricsDump>>()

/**
 * Makes /_metrics and /_metrics/prometheus report `gather()` (e.g. every cluster worker's metrics merged) instead
 * of `metrics` alone. Returns a function that removes it.
 */
export const aggregateMetrics = (metrics: GatewayMetrics, gather: () => Promise<MetricsDump>): (() => void) => {
  aggregators.set(metrics, gather)
  return () => {
    if (aggregators.get(metrics) === gather) aggregators.delete(metrics)
  }
}

/** What the metrics endpoints report: `metrics` itself, or what its aggregator gathered. */
export const metricsView = async (metrics: GatewayMetrics): Promise<GatewayMetrics> => {
  const gather = aggregators.get(metrics)
  return gather ? metricsFromDump(await gather()) : metrics
}
