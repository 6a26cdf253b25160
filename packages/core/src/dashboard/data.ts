// The figures behind the dashboard (GET /_dashboard/data): one compact JSON built from metrics, routes, upstreams, health.
import type { MetricsSnapshot, RouteSnapshot } from '../metrics/gateway-metrics.js'
import type { ProcessSnapshot } from '../metrics/process-monitor.js'
import type { RouteStatus } from '../pool/route-status.js'
import { labelledCallers } from '../upstream-limits/caller-labels.js'
import type { UpstreamStatus } from '../upstream-limits/types.js'

/** What the dashboard reads: the gateway's public surface (APIGateway fits it). */
export interface DashboardSource {
  readonly metrics: { snapshot(): MetricsSnapshot }
  routeStatuses(): RouteStatus[]
  upstreamStatus(): unknown
  health(): Record<string, unknown>
}

export interface DashboardRoute {
  id: string
  prefix: string
  /** Counters since start: the page turns them into rates between two polls. */
  requests: number
  serverErrors: number
  clientErrors: number
  rateLimited: number
  cacheHits: number
  cacheMisses: number
  /** ms */
  p50: number
  p99: number
  healthyTargets: number
  targets: Array<{ url: string; healthy: boolean; draining: boolean; breaker: string; inFlight: number }>
}

export interface DashboardUpstream {
  key: string
  ratePerSecond: number
  rateSource: string
  /** ms left in a pause after a throttle (0: sending). */
  pausedMs: number
  queued: number
  throttles: number
  /** The busiest declared callers, then `other` and `anonymous`, as on the metrics. */
  callers: Array<{ id: string; share: number; queued: number; served: number }>
}

export interface DashboardData {
  /** Epoch ms of this snapshot. */
  time: number
  status: string
  uptimeSeconds: number
  routes: DashboardRoute[]
  breakers: Array<{ origin: string; state: string; failures: number }>
  upstreams: DashboardUpstream[]
  stores: Record<string, unknown>
  process: {
    rssBytes: number
    heapUsedBytes: number
    heapTotalBytes: number
    eventLoopP99Ms: number | null
    gcCount: number
    gcSeconds: number
    activeHandles: number
    openUpstreamSockets: number
  } | null
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0)

const routeOf = (status: RouteStatus, m: RouteSnapshot | undefined): DashboardRoute => ({
  id: status.id,
  prefix: status.prefix,
  requests: num(m?.requests_total),
  serverErrors: num(m?.requests_failed),
  clientErrors: num(m?.requests_client_error),
  rateLimited: num(m?.requests_rate_limited),
  cacheHits: num(m?.cache_hits),
  cacheMisses: num(m?.cache_misses),
  p50: num(m?.p50),
  p99: num(m?.p99),
  healthyTargets: status.healthyTargets,
  targets: status.targets.map((t) => ({ url: t.url, healthy: t.healthy, draining: t.draining, breaker: t.breaker, inFlight: t.inFlight })),
})

const upstreamOf = (s: UpstreamStatus, now: number): DashboardUpstream => ({
  key: s.key,
  ratePerSecond: s.ratePerSecond,
  rateSource: s.rateSource,
  pausedMs: s.pausedUntil === null ? 0 : Math.max(0, s.pausedUntil - now),
  queued: s.queued,
  throttles: s.throttles,
  callers: labelledCallers(s.callers).map((c) => ({ id: c.callerId, share: c.share, queued: c.queued, served: c.served })),
})

const processOf = (p: ProcessSnapshot | undefined): DashboardData['process'] =>
  p
    ? {
        rssBytes: p.resident_memory_bytes,
        heapUsedBytes: p.heap_used_bytes,
        heapTotalBytes: p.heap_total_bytes,
        eventLoopP99Ms: p.event_loop_delay_p99_ms,
        gcCount: p.gc.count,
        gcSeconds: p.gc.total_seconds,
        activeHandles: p.active_handles,
        openUpstreamSockets: p.open_upstream_sockets,
      }
    : null

/**
 * One dashboard poll's figures.
 * @example
 * app.get('/data', (c) => c.json(dashboardData(gateway)))
 */
export const dashboardData = (source: DashboardSource, now = Date.now()): DashboardData => {
  const metrics = source.metrics.snapshot()
  const health = source.health()
  const upstreams = source.upstreamStatus()
  return {
    time: now,
    status: String(health.status ?? 'ok'),
    uptimeSeconds: num(metrics.uptime_seconds),
    routes: source.routeStatuses().map((r) => routeOf(r, metrics.routes[r.id])),
    breakers: Object.entries(metrics.circuit_breakers ?? {}).map(([origin, b]) => ({ origin, state: b.state, failures: b.failures })),
    upstreams: Array.isArray(upstreams) ? (upstreams as UpstreamStatus[]).map((s) => upstreamOf(s, now)) : [],
    stores: (health.stores as Record<string, unknown> | undefined) ?? {},
    process: processOf(metrics.process as ProcessSnapshot | undefined),
  }
}
