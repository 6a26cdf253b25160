// Request counters, latency histograms and pluggable gauges/sections behind GET /_metrics and the Prometheus view.
import { systemClock, type Clock } from '../clock.js'
import { LatencyHistogram } from './latency-histogram.js'

/** Counters that exist from the start (at 0), filled by later stages: rate limit and cache. */
export const BUILTIN_COUNTERS = ['requests_rate_limited', 'cache_hits', 'cache_misses'] as const
export type BuiltinCounter = (typeof BUILTIN_COUNTERS)[number]

/** Status classes in the order of {@link RouteMetrics.statusClasses}. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const
export type StatusClass = (typeof STATUS_CLASSES)[number]

/** Route label for requests and counters recorded without a route (404 route_not_found and the like). */
export const UNMATCHED_ROUTE = '_unmatched'

/** One Prometheus metric family contributed by a capability (see {@link GatewayMetrics.prometheus}). */
export interface PrometheusFamily {
  /** Metric name; `tollgate_` is prefixed when missing (unless `standard`). Counters should end in `_total`. */
  name: string
  help: string
  type: 'counter' | 'gauge' | 'untyped' | 'histogram'
  /** A name shared across exporters (`process_*`, `nodejs_*`): written as given, without the `tollgate_` prefix. */
  standard?: boolean
  /** A histogram's samples name their `_bucket` / `_sum` / `_count` suffix. */
  samples: readonly { labels?: Readonly<Record<string, string>>; value: number; suffix?: '_bucket' | '_sum' | '_count' }[]
}

/**
 * Per-route metrics: counters and a latency histogram. Get one with {@link GatewayMetrics.route} once per
 * route and keep it, so the per-request path never looks a route up by name. Fields are written only by
 * GatewayMetrics; read them freely.
 */
export class RouteMetrics {
  readonly id: string
  requestsTotal = 0
  /** status < 400 */
  requestsSuccess = 0
  /** status >= 500 */
  requestsFailed = 0
  /** 400 <= status < 500 */
  requestsClientError = 0
  /** Requests per status class, indexed like {@link STATUS_CLASSES}. */
  readonly statusClasses = new Float64Array(STATUS_CLASSES.length)
  readonly latency = new LatencyHistogram()
  /** Named counters, indexed in the order GatewayMetrics defined them. */
  readonly counters: number[]

  /** @internal created by GatewayMetrics */
  constructor(id: string, counterCount: number) {
    this.id = id
    this.counters = new Array<number>(counterCount).fill(0)
  }
}

/** Keys of the /_metrics JSON computed by GatewayMetrics itself; no counter, gauge or section may take them. */
const RESERVED = new Set([
  'requests_total',
  'requests_success',
  'requests_failed',
  'requests_client_error',
  'error_rate',
  'p50',
  'p90',
  'p95',
  'p99',
  'latency_mean_ms',
  'uptime_seconds',
  'status',
  'routes',
])

const NAME = /^[a-z_][a-z0-9_]*$/

/** Counters and latency percentiles of one route (or of all requests). */
export interface RouteSnapshot {
  requests_total: number
  requests_success: number
  requests_failed: number
  requests_client_error: number
  requests_rate_limited: number
  cache_hits: number
  cache_misses: number
  /** failed / total; 0 with no requests. */
  error_rate: number
  status: Record<StatusClass, number>
  p50: number
  p90: number
  p95: number
  p99: number
  [counter: string]: unknown
}

/** The JSON answered by GET /_metrics. Counters, gauges and sections others register appear under their names. */
export interface MetricsSnapshot extends RouteSnapshot {
  cache_size: number
  latency_mean_ms: number
  uptime_seconds: number
  circuit_breakers: Record<string, { state: string; failures: number }>
  routes: Record<string, RouteSnapshot>
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000

const statusObject = (classes: Float64Array): Record<StatusClass, number> => {
  const out = {} as Record<StatusClass, number>
  for (let i = 0; i < STATUS_CLASSES.length; i++) out[STATUS_CLASSES[i] as StatusClass] = classes[i] as number
  return out
}

/**
 * Everything /_metrics reports. The gateway records each request once; other capabilities bump named
 * counters and register gauges and sections that are only evaluated when a snapshot is taken.
 *
 * @example
 * ```ts
 * const metrics = new GatewayMetrics()
 * const users = metrics.route('api-users')            // once, at registerRoute
 * metrics.recordRequest(users, 200, 12.3)              // per request
 * metrics.increment('cache_hits', users)
 * metrics.gauge('cache_size', () => cache.size)
 * metrics.section('circuit_breakers', () => breakers.snapshot())
 * metrics.snapshot().p99
 * ```
 */
export class GatewayMetrics {
  readonly startedAt: number
  readonly #clock: Clock
  // Hot path: TypeScript-private, not #private (see LatencyHistogram).
  private readonly overallHandle: RouteMetrics
  private readonly unmatchedHandle: RouteMetrics
  readonly #routes = new Map<string, RouteMetrics>()
  readonly #counterIndex = new Map<string, number>()
  readonly #counterNames: string[] = []
  readonly #gauges = new Map<string, () => number>()
  readonly #sections = new Map<string, () => unknown>()
  readonly #families = new Set<() => readonly PrometheusFamily[]>()

  constructor(clock: Clock = systemClock) {
    this.#clock = clock
    this.startedAt = clock.now()
    this.overallHandle = new RouteMetrics('*', 0)
    this.unmatchedHandle = new RouteMetrics(UNMATCHED_ROUTE, 0)
    for (const name of BUILTIN_COUNTERS) this.#defineCounter(name)
    this.#sections.set('circuit_breakers', () => ({}))
  }

  /** The handle of a route, created on first use. Resolve it once per route, not per request. */
  route(routeId: string): RouteMetrics {
    let handle = this.#routes.get(routeId)
    if (!handle) {
      handle = new RouteMetrics(routeId, this.#counterNames.length)
      this.#routes.set(routeId, handle)
    }
    return handle
  }

  /** Forgets a route's metrics (a route removed at run time). Overall totals keep what it counted. */
  dropRoute(routeId: string): boolean {
    return this.#routes.delete(routeId)
  }

  /** Route handles in creation order. */
  routes(): IterableIterator<RouteMetrics> {
    return this.#routes.values()
  }

  /** Totals over all requests, the same shape as a route handle. */
  get overall(): RouteMetrics {
    return this.overallHandle
  }

  /** What was recorded without a route (the Prometheus view labels it `route="_unmatched"`). */
  get unmatched(): RouteMetrics {
    return this.unmatchedHandle
  }

  /**
   * Counts one finished request, overall and for its route (undefined: no route matched).
   * Allocation-free; call it once per request, after the response status is known.
   */
  recordRequest(route: RouteMetrics | undefined, status: number, latencyMs: number): void {
    let cls = (status / 100) | 0
    cls = cls < 1 ? 0 : cls > 5 ? 4 : cls - 1
    record(this.overallHandle, status, cls, latencyMs)
    record(route ?? this.unmatchedHandle, status, cls, latencyMs)
  }

  /**
   * Adds `by` to a named counter, overall and for `route` when given. Unknown names are created at 0 on first
   * use and show up in /_metrics and Prometheus from then on.
   */
  increment(name: BuiltinCounter | (string & {}), route?: RouteMetrics, by = 1): void {
    const index = this.#counterIndex.get(name) ?? this.#defineCounter(name)
    ;(this.overallHandle.counters[index] as number) += by
    ;((route ?? this.unmatchedHandle).counters[index] as number) += by
  }

  /** A counter's overall value (0 for one never defined). */
  counter(name: string): number {
    const index = this.#counterIndex.get(name)
    return index === undefined ? 0 : (this.overallHandle.counters[index] as number)
  }

  /** A counter's value on one handle. */
  routeCounter(route: RouteMetrics, name: string): number {
    const index = this.#counterIndex.get(name)
    return index === undefined ? 0 : (route.counters[index] ?? 0)
  }

  /** Names of all counters, built-ins first. */
  counterNames(): readonly string[] {
    return this.#counterNames
  }

  /**
   * Registers a gauge read at snapshot time (e.g. `cache_size`); replaces one of the same name.
   * Returns a function that unregisters it.
   */
  gauge(name: string, read: () => number): () => void {
    this.#checkName(name, this.#gauges)
    this.#gauges.set(name, read)
    return () => {
      if (this.#gauges.get(name) === read) this.#gauges.delete(name)
    }
  }

  /**
   * Registers a JSON section evaluated at snapshot time (`circuit_breakers`, `upstreams`, `pools`, `stores`);
   * replaces one of the same name. Returns a function that unregisters it.
   */
  section(name: string, read: () => unknown): () => void {
    this.#checkName(name, this.#sections)
    this.#sections.set(name, read)
    return () => {
      if (this.#sections.get(name) === read) this.#sections.delete(name)
    }
  }

  /** Adds metric families to the Prometheus view, evaluated per scrape. Returns a function that removes them. */
  prometheus(families: () => readonly PrometheusFamily[]): () => void {
    this.#families.add(families)
    return () => {
      this.#families.delete(families)
    }
  }

  /** Gauge values now; a gauge that throws reads as NaN rather than breaking /_metrics. */
  readGauges(): Map<string, number> {
    const out = new Map<string, number>([['cache_size', 0]])
    for (const [name, read] of this.#gauges) out.set(name, safe(read, Number.NaN))
    return out
  }

  /** A section's value now (undefined when none is registered; `{ error }` when it throws). */
  readSection(name: string): unknown {
    const read = this.#sections.get(name)
    return read && safe(read, { error: 'section failed' })
  }

  /** The families registered through {@link prometheus}, evaluated now. */
  prometheusFamilies(): PrometheusFamily[] {
    const out: PrometheusFamily[] = []
    for (const read of this.#families) out.push(...safe(read, []))
    return out
  }

  /** Seconds since construction. */
  uptimeSeconds(): number {
    return Math.max(0, this.#clock.now() - this.startedAt) / 1000
  }

  /** The JSON for GET /_metrics. */
  snapshot(): MetricsSnapshot {
    const o = this.overallHandle
    const out = this.#routeSnapshot(o)
    for (const [name, value] of this.readGauges()) out[name] = Number.isNaN(value) ? null : value
    out.latency_mean_ms = round3(o.latency.mean)
    out.uptime_seconds = round3(this.uptimeSeconds())
    for (const name of this.#sections.keys()) out[name] = this.readSection(name)
    const routes: Record<string, RouteSnapshot> = {}
    for (const r of this.#routes.values()) routes[r.id] = this.#routeSnapshot(r) as RouteSnapshot
    out.routes = routes
    return out as MetricsSnapshot
  }

  /** Counters, error rate, status classes and percentiles of one handle (a route, or all requests). */
  #routeSnapshot(handle: RouteMetrics): Record<string, unknown> {
    const out: Record<string, unknown> = {
      requests_total: handle.requestsTotal,
      requests_success: handle.requestsSuccess,
      requests_failed: handle.requestsFailed,
      requests_client_error: handle.requestsClientError,
    }
    this.#counters(handle, out)
    out.error_rate = handle.requestsTotal === 0 ? 0 : handle.requestsFailed / handle.requestsTotal
    out.status = statusObject(handle.statusClasses)
    Object.assign(out, percentiles(handle.latency))
    return out
  }

  #counters(handle: RouteMetrics, out: Record<string, unknown>): void {
    const names = this.#counterNames
    for (let i = 0; i < names.length; i++) out[names[i] as string] = handle.counters[i] ?? 0
  }

  #defineCounter(name: string): number {
    this.#checkName(name, undefined)
    const index = this.#counterNames.length
    this.#counterNames.push(name)
    this.#counterIndex.set(name, index)
    // Keep every handle's array packed and as long as the list of names.
    this.overallHandle.counters.push(0)
    this.unmatchedHandle.counters.push(0)
    for (const r of this.#routes.values()) r.counters.push(0)
    return index
  }

  /** Names are snake_case (valid in Prometheus) and unique across counters, gauges and sections. */
  #checkName(name: string, own: Map<string, unknown> | undefined): void {
    if (!NAME.test(name)) throw new TypeError(`metric name must match ${NAME}: ${JSON.stringify(name)}`)
    const taken =
      RESERVED.has(name) ||
      (own !== this.#gauges && this.#gauges.has(name)) ||
      (own !== this.#sections && this.#sections.has(name)) ||
      this.#counterIndex.has(name) ||
      (name === 'cache_size' && own !== this.#gauges)
    if (taken) throw new TypeError(`metric name already in use: ${name}`)
  }
}

const record = (r: RouteMetrics, status: number, cls: number, latencyMs: number): void => {
  r.requestsTotal++
  if (status < 400) r.requestsSuccess++
  else if (status >= 500) r.requestsFailed++
  else r.requestsClientError++
  ;(r.statusClasses[cls] as number)++
  r.latency.record(latencyMs)
}

const percentiles = (h: LatencyHistogram) => ({
  p50: round3(h.percentile(50)),
  p90: round3(h.percentile(90)),
  p95: round3(h.percentile(95)),
  p99: round3(h.percentile(99)),
})

const safe = <T>(read: () => T, fallback: T): T => {
  try {
    return read()
  } catch {
    return fallback
  }
}
