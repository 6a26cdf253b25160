// Renders GatewayMetrics in the Prometheus text exposition format 0.0.4 (GET /_metrics/prometheus).
import { STATUS_CLASSES, type GatewayMetrics, type PrometheusFamily, type RouteMetrics } from './gateway-metrics.js'

/** Content-Type of {@link renderPrometheus}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const PREFIX = 'tollgate_'

/** Label values escape backslash, double quote and newline. */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** HELP text escapes backslash and newline. */
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

const formatValue = (n: number): string =>
  Number.isNaN(n) ? 'NaN' : n === Number.POSITIVE_INFINITY ? '+Inf' : n === Number.NEGATIVE_INFINITY ? '-Inf' : String(n)

/** `a="b",c="d"`; invalid or reserved (`__`) label names are left out. */
const labels = (pairs: Readonly<Record<string, string>> | undefined): string => {
  if (!pairs) return ''
  let out = ''
  for (const name in pairs) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) continue
    out += `${out ? ',' : ''}${name}="${escapeLabelValue(String(pairs[name]))}"`
  }
  return out
}

/** Circuit states as numbers: 0 closed, 1 half-open, 2 open (-1 unknown). */
const circuitStateValue = (state: unknown): number => {
  const s = String(state).toLowerCase().replace(/[-_ ]/g, '')
  return s === 'closed' ? 0 : s === 'halfopen' ? 1 : s === 'open' ? 2 : -1
}

class Writer {
  readonly lines: string[] = []
  readonly #seen = new Set<string>()

  /**
   * Starts a family; false (write no samples) when the name is invalid or already taken: a family must
   * appear once, and one bad contribution must not break the whole scrape.
   */
  family(name: string, type: PrometheusFamily['type'], help: string): boolean {
    if (!METRIC_NAME.test(name) || this.#seen.has(name)) return false
    for (const suffix of ['_bucket', '_sum', '_count']) if (this.#seen.has(name + suffix)) return false
    this.#seen.add(name)
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) this.#seen.add(name + suffix)
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
    return true
  }

  /** `labelText` is the already escaped `a="b",c="d"` list, or empty. */
  sample(name: string, labelText: string, value: number): void {
    this.lines.push(`${name}${labelText ? `{${labelText}}` : ''} ${formatValue(value)}`)
  }
}

/** Every route handle, plus the unmatched one when it saw anything. */
const handles = (metrics: GatewayMetrics): RouteMetrics[] => {
  const out = [...metrics.routes()]
  const u = metrics.unmatched
  if (u.requestsTotal > 0 || u.counters.some((n) => n !== 0)) out.push(u)
  return out
}

/**
 * The Prometheus text for a scrape: per-route request counters by status class, a per-route
 * `tollgate_request_duration_seconds` histogram, named counters, gauges, circuit breakers, uptime,
 * and any families capabilities registered with `metrics.prometheus(...)`.
 *
 * @example
 * ```ts
 * app.get('/_metrics/prometheus', (c) =>
 *   c.body(renderPrometheus(metrics), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }))
 * ```
 */
export const renderPrometheus = (metrics: GatewayMetrics): string => {
  const w = new Writer()
  const routes = handles(metrics)
  // Each route's label, escaped once per scrape rather than once per sample.
  const routeLabels = routes.map((r) => `route="${escapeLabelValue(r.id)}"`)

  w.family(`${PREFIX}requests_total`, 'counter', 'Requests answered, by route and status class.')
  routes.forEach((r, k) => {
    for (let i = 0; i < STATUS_CLASSES.length; i++) {
      const n = r.statusClasses[i] as number
      // 1xx is rare enough to appear only once seen; the usual classes are always present.
      if (i === 0 && n === 0) continue
      w.sample(`${PREFIX}requests_total`, `${routeLabels[k]},status_class="${STATUS_CLASSES[i]}"`, n)
    }
  })

  const duration = `${PREFIX}request_duration_seconds`
  w.family(duration, 'histogram', 'Request latency through the gateway, in seconds.')
  routes.forEach((r, k) => {
    const route = routeLabels[k] as string
    for (const { le, count } of r.latency.prometheusBuckets()) {
      w.sample(`${duration}_bucket`, `${route},le="${formatValue(le)}"`, count)
    }
    w.sample(`${duration}_sum`, route, r.latency.sum / 1000)
    w.sample(`${duration}_count`, route, r.latency.count)
  })

  const breakers = metrics.readSection('circuit_breakers')
  const entries = breakers && typeof breakers === 'object' ? Object.entries(breakers as Record<string, unknown>) : []
  w.family(`${PREFIX}circuit_breaker_state`, 'gauge', 'Circuit breaker state per upstream origin: 0 closed, 1 half-open, 2 open.')
  for (const [origin, b] of entries) {
    w.sample(`${PREFIX}circuit_breaker_state`, labels({ origin }), circuitStateValue((b as { state?: unknown } | null)?.state))
  }
  w.family(`${PREFIX}circuit_breaker_failures`, 'gauge', 'Consecutive failures counted by each circuit breaker.')
  for (const [origin, b] of entries) {
    w.sample(`${PREFIX}circuit_breaker_failures`, labels({ origin }), Number((b as { failures?: unknown } | null)?.failures ?? 0))
  }

  w.family(`${PREFIX}uptime_seconds`, 'gauge', 'Seconds since the gateway started.')
  w.sample(`${PREFIX}uptime_seconds`, '', metrics.uptimeSeconds())

  // Counters, gauges and contributed families come after the built-in families, which thus keep their names.
  const names = metrics.counterNames()
  for (let i = 0; i < names.length; i++) {
    const name = `${PREFIX}${names[i] as string}_total`
    if (!w.family(name, 'counter', `Count of ${names[i] as string}, by route.`)) continue
    routes.forEach((r, k) => {
      w.sample(name, routeLabels[k] as string, r.counters[i] ?? 0)
    })
  }

  for (const [gauge, value] of metrics.readGauges()) {
    if (Number.isNaN(value)) continue
    if (!w.family(`${PREFIX}${gauge}`, 'gauge', `Current ${gauge}.`)) continue
    w.sample(`${PREFIX}${gauge}`, '', value)
  }

  for (const f of metrics.prometheusFamilies()) {
    const name = f.standard || f.name.startsWith(PREFIX) ? f.name : PREFIX + f.name
    if (!w.family(name, f.type, f.help)) continue
    for (const s of f.samples) w.sample(s.suffix ? name + s.suffix : name, labels(s.labels), s.value)
  }

  return `${w.lines.join('\n')}\n`
}
