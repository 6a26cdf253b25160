// Merges the metrics of several processes (cluster workers) into one dump: the gateway's figures as one gateway.
import type { PrometheusFamily } from './gateway-metrics.js'
import type { HistogramDump } from './latency-histogram.js'
import type { HandleDump, MetricsDump } from './metrics-dump.js'

const emptyHistogram = (coarse: number): HistogramDump => ({
  count: 0,
  sum: 0,
  min: 0,
  max: 0,
  fine: [],
  coarse: new Array(coarse).fill(0),
})

const mergeHistograms = (histograms: readonly HistogramDump[]): HistogramDump => {
  const out = emptyHistogram(histograms[0]?.coarse.length ?? 0)
  const fine = new Map<number, number>()
  for (const h of histograms) {
    if (h.count === 0) continue
    if (h.coarse.length !== out.coarse.length) throw new RangeError('mergeMetricsDumps: histograms with different Prometheus buckets')
    for (const [index, n] of h.fine) fine.set(index, (fine.get(index) ?? 0) + n)
    for (let i = 0; i < h.coarse.length; i++) out.coarse[i] = (out.coarse[i] as number) + (h.coarse[i] as number)
    if (out.count === 0 || h.min < out.min) out.min = h.min
    if (h.max > out.max) out.max = h.max
    out.count += h.count
    out.sum += h.sum
  }
  out.fine = [...fine].sort((a, b) => a[0] - b[0])
  return out
}

const mergeHandles = (id: string, handles: readonly HandleDump[]): HandleDump => {
  const counters: Record<string, number> = {}
  const statusClasses: number[] = []
  const out = { id, requestsTotal: 0, requestsSuccess: 0, requestsFailed: 0, requestsClientError: 0 }
  for (const h of handles) {
    out.requestsTotal += h.requestsTotal
    out.requestsSuccess += h.requestsSuccess
    out.requestsFailed += h.requestsFailed
    out.requestsClientError += h.requestsClientError
    for (let i = 0; i < h.statusClasses.length; i++) statusClasses[i] = (statusClasses[i] ?? 0) + (h.statusClasses[i] as number)
    for (const [name, n] of Object.entries(h.counters)) counters[name] = (counters[name] ?? 0) + n
  }
  return { ...out, statusClasses, counters, latency: mergeHistograms(handles.map((h) => h.latency)) }
}

/** Union in first-seen order. */
const union = (lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())]

const labelKey = (labels: Readonly<Record<string, string>> | undefined): string =>
  JSON.stringify(Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** Counters add up per label set; a gauge (or untyped) sample keeps each process's value under its `worker` label. */
const mergeFamilies = (dumps: readonly MetricsDump[], workers: readonly string[]): PrometheusFamily[] => {
  const families = new Map<string, { family: PrometheusFamily; samples: Map<string, { labels?: Record<string, string>; value: number }> }>()
  dumps.forEach((dump, d) => {
    for (const family of dump.families) {
      let entry = families.get(family.name)
      if (!entry) families.set(family.name, (entry = { family, samples: new Map() }))
      if (entry.family.type !== family.type) continue
      for (const sample of family.samples) {
        const labels = family.type === 'counter' ? sample.labels : { ...sample.labels, worker: workers[d] as string }
        const key = labelKey(labels)
        const seen = entry.samples.get(key)
        if (seen) seen.value += sample.value
        else entry.samples.set(key, { ...(labels ? { labels } : {}), value: sample.value })
      }
    }
  })
  return [...families.values()].map(({ family, samples }) => ({ ...family, samples: [...samples.values()] }))
}

/**
 * One dump for several processes' dumps: request counters, status classes, named counters and latency histograms
 * add up (per route and overall; percentiles are then those of all requests), gauges add up (sizes and queue
 * lengths), uptime is the longest. Prometheus families contributed by capabilities: counters add up per label set;
 * gauges keep one sample per process, labelled `worker` with `workers[i]` (default "1", "2", …): a per-process
 * value (memory, event loop lag, a store's up/down) is not a sum. JSON sections (circuit breakers, pools, stores)
 * are per process: the first dump's are kept, so put the answering process first.
 * @example
 * const merged = mergeMetricsDumps([dumpMetrics(a), dumpMetrics(b)])
 * renderPrometheus(metricsFromDump(merged))
 */
export const mergeMetricsDumps = (dumps: readonly MetricsDump[], workers?: readonly string[]): MetricsDump => {
  if (dumps.length === 0) throw new RangeError('mergeMetricsDumps: no dump to merge')
  const labels = workers ?? dumps.map((_, i) => String(i + 1))
  const routeIds = union(dumps.map((d) => d.routes.map((r) => r.id)))
  const gauges: Record<string, number | null> = {}
  for (const dump of dumps) {
    for (const [name, value] of Object.entries(dump.gauges)) {
      const sum = gauges[name]
      gauges[name] = value === null || sum === null ? null : (sum ?? 0) + value
    }
  }
  return {
    uptimeSeconds: Math.max(...dumps.map((d) => d.uptimeSeconds)),
    counterNames: union(dumps.map((d) => d.counterNames)),
    overall: mergeHandles(
      '*',
      dumps.map((d) => d.overall),
    ),
    unmatched: mergeHandles(
      dumps[0]!.unmatched.id,
      dumps.map((d) => d.unmatched),
    ),
    routes: routeIds.map((id) =>
      mergeHandles(
        id,
        dumps.flatMap((d) => d.routes.filter((r) => r.id === id)),
      ),
    ),
    gauges,
    sections: { ...dumps[0]!.sections },
    families: mergeFamilies(dumps, labels),
  }
}
