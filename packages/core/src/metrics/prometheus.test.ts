import { describe, expect, it } from 'vitest'
import { GatewayMetrics } from './gateway-metrics.js'
import { escapeLabelValue, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

interface Parsed {
  help: Map<string, string>
  type: Map<string, string>
  samples: Sample[]
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"(,|$)/y

/** A strict little parser of the 0.0.4 text format: throws on anything it does not recognise. */
const parse = (text: string): Parsed => {
  expect(text.endsWith('\n')).toBe(true)
  const out: Parsed = { help: new Map(), type: new Map(), samples: [] }
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string]
      const map = kind === 'HELP' ? out.help : out.type
      if (map.has(name)) throw new Error(`${kind} twice for ${name}`)
      if (kind === 'TYPE' && !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
        throw new Error(`bad type ${rest}`)
      }
      if (kind === 'TYPE' && out.samples.some((s) => family(s.name, out) === name)) {
        throw new Error(`TYPE after samples of ${name}`)
      }
      map.set(name, rest)
      continue
    }
    const m = SAMPLE.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    if (m[3]) {
      LABEL.lastIndex = 0
      while (LABEL.lastIndex < m[3].length) {
        const l = LABEL.exec(m[3])
        if (!l) throw new Error(`bad labels: ${m[3]}`)
        labels[l[1] as string] = (l[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c))
      }
    }
    const raw = m[4] as string
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw)
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value: ${line}`)
    out.samples.push({ name: m[1] as string, labels, value })
  }
  // Every sample belongs to a family with HELP and TYPE.
  for (const s of out.samples) {
    const f = family(s.name, out)
    if (!out.help.has(f) || !out.type.has(f)) throw new Error(`no HELP/TYPE for ${s.name}`)
  }
  return out
}

const family = (name: string, p: Parsed): string => {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length)
    if (name.endsWith(suffix) && p.type.get(base) === 'histogram') return base
  }
  return name
}

const get = (p: Parsed, name: string, labels: Record<string, string>) =>
  p.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))

const busyMetrics = () => {
  const m = new GatewayMetrics()
  const users = m.route('api-users')
  const odd = m.route('we"ird\\route\nx')
  for (let i = 0; i < 200; i++) m.recordRequest(users, i % 10 === 0 ? 502 : 200, i * 3)
  m.recordRequest(odd, 404, 0.2)
  m.recordRequest(undefined, 404, 0.1)
  m.increment('requests_rate_limited', users, 4)
  m.increment('cache_hits', users)
  m.gauge('cache_size', () => 12)
  m.section('circuit_breakers', () => ({
    'http://127.0.0.1:8001': { state: 'CLOSED', failures: 1 },
    'http://127.0.0.1:8002': { state: 'HALF_OPEN', failures: 0 },
    'http://127.0.0.1:8003': { state: 'OPEN', failures: 5 },
  }))
  return { m, users }
}

describe('renderPrometheus', () => {
  it('produces valid exposition text', () => {
    const { m } = busyMetrics()
    m.prometheus(() => [
      {
        name: 'pool_connections',
        help: 'Open upstream connections.',
        type: 'gauge',
        samples: [{ labels: { origin: 'http://a' }, value: 3 }],
      },
      // Duplicates of a built-in family are dropped rather than breaking the scrape.
      { name: 'tollgate_uptime_seconds', help: 'dup', type: 'gauge', samples: [{ value: 1 }] },
    ])
    const text = renderPrometheus(m)
    const p = parse(text)
    expect(PROMETHEUS_CONTENT_TYPE).toContain('version=0.0.4')
    for (const name of p.help.keys()) expect(name.startsWith('tollgate_')).toBe(true)
    expect(p.type.get('tollgate_requests_total')).toBe('counter')
    expect(p.type.get('tollgate_request_duration_seconds')).toBe('histogram')
    expect(get(p, 'tollgate_pool_connections', { origin: 'http://a' })[0]?.value).toBe(3)
    expect(get(p, 'tollgate_uptime_seconds', {})).toHaveLength(1)
  })

  it('counts requests by route and status class', () => {
    const { m } = busyMetrics()
    const p = parse(renderPrometheus(m))
    const v = (route: string, cls: string) => get(p, 'tollgate_requests_total', { route, status_class: cls })[0]?.value
    expect(v('api-users', '2xx')).toBe(180)
    expect(v('api-users', '5xx')).toBe(20)
    expect(v('api-users', '4xx')).toBe(0)
    expect(v('we"ird\\route\nx', '4xx')).toBe(1)
    expect(v('_unmatched', '4xx')).toBe(1)
    const total = get(p, 'tollgate_requests_total', {}).reduce((n, s) => n + s.value, 0)
    expect(total).toBe(m.snapshot().requests_total)
  })

  it('escapes label values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd')
    const text = renderPrometheus(busyMetrics().m)
    expect(text).toContain('route="we\\"ird\\\\route\\nx"')
  })

  it('writes cumulative histogram buckets ending in +Inf equal to _count', () => {
    const { m } = busyMetrics()
    const p = parse(renderPrometheus(m))
    for (const route of ['api-users', 'we"ird\\route\nx', '_unmatched']) {
      const buckets = get(p, 'tollgate_request_duration_seconds_bucket', { route })
      expect(buckets.length).toBeGreaterThan(2)
      const les = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le))
      expect(les).toEqual([...les].sort((a, b) => a - b))
      for (let i = 1; i < buckets.length; i++) {
        expect(buckets[i]?.value).toBeGreaterThanOrEqual(buckets[i - 1]?.value as number)
      }
      expect(buckets.at(-1)?.labels.le).toBe('+Inf')
      const count = get(p, 'tollgate_request_duration_seconds_count', { route })[0]?.value
      expect(buckets.at(-1)?.value).toBe(count)
    }
    // api-users saw 0, 3, …, 597 ms: 2 values ≤ 5 ms, 34 ≤ 100 ms, 84 ≤ 250 ms, 167 ≤ 500 ms.
    const le = (l: string) => get(p, 'tollgate_request_duration_seconds_bucket', { route: 'api-users', le: l })[0]?.value
    expect([le('0.005'), le('0.1'), le('0.25'), le('0.5'), le('1')]).toEqual([2, 34, 84, 167, 200])
    const sum = get(p, 'tollgate_request_duration_seconds_sum', { route: 'api-users' })[0]?.value
    expect(sum).toBeCloseTo((3 * 199 * 200) / 2 / 1000)
  })

  it('exports named counters, gauges and circuit breaker states', () => {
    const { m } = busyMetrics()
    const p = parse(renderPrometheus(m))
    expect(get(p, 'tollgate_requests_rate_limited_total', { route: 'api-users' })[0]?.value).toBe(4)
    expect(get(p, 'tollgate_cache_hits_total', { route: 'api-users' })[0]?.value).toBe(1)
    expect(get(p, 'tollgate_cache_misses_total', { route: 'api-users' })[0]?.value).toBe(0)
    expect(p.type.get('tollgate_cache_size')).toBe('gauge')
    expect(get(p, 'tollgate_cache_size', {})[0]?.value).toBe(12)
    const state = (origin: string) => get(p, 'tollgate_circuit_breaker_state', { origin })[0]?.value
    expect([state('http://127.0.0.1:8001'), state('http://127.0.0.1:8002'), state('http://127.0.0.1:8003')]).toEqual([0, 1, 2])
    expect(get(p, 'tollgate_circuit_breaker_failures', { origin: 'http://127.0.0.1:8003' })[0]?.value).toBe(5)
  })

  it('renders an empty gateway', () => {
    const p = parse(renderPrometheus(new GatewayMetrics()))
    expect(get(p, 'tollgate_cache_size', {})[0]?.value).toBe(0)
    expect(p.type.has('tollgate_requests_rate_limited_total')).toBe(true)
  })
})
