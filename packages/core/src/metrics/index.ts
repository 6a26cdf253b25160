// Metrics: latency histograms, the counters behind GET /_metrics and their Prometheus rendering.
export { LatencyHistogram, DEFAULT_PROMETHEUS_BUCKETS, type HistogramDump } from './latency-histogram.js'
export {
  GatewayMetrics,
  RouteMetrics,
  BUILTIN_COUNTERS,
  STATUS_CLASSES,
  UNMATCHED_ROUTE,
  type BuiltinCounter,
  type StatusClass,
  type PrometheusFamily,
  type MetricsSnapshot,
  type RouteSnapshot,
} from './gateway-metrics.js'
export { renderPrometheus, escapeLabelValue, PROMETHEUS_CONTENT_TYPE } from './prometheus.js'
export {
  dumpMetrics,
  metricsFromDump,
  aggregateMetrics,
  metricsView,
  type MetricsDump,
  type HandleDump,
} from './metrics-dump.js'
export { mergeMetricsDumps } from './merge-metrics.js'
