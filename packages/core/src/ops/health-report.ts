// What /_health answers: in full (routes, targets, breakers, stores) to whoever may read the status, else a summary.
import type { RouteStatus } from '../pool/route-status.js'

export interface HealthInput {
  routes: RouteStatus[]
  uptimeSeconds: number
  circuitBreakers: unknown
  /** Sections added with addHealthCheck (stores, …). */
  checks: ReadonlyMap<string, () => unknown>
}

const statusOf = (routes: readonly RouteStatus[]): 'ok' | 'degraded' => (routes.some((r) => r.healthyTargets === 0) ? 'degraded' : 'ok')

/** The full report: `{ status, uptime_seconds, circuit_breakers, routes, …checks }`. */
export const healthReport = ({ routes, uptimeSeconds, circuitBreakers, checks }: HealthInput): Record<string, unknown> => {
  const out: Record<string, unknown> = {
    status: statusOf(routes),
    uptime_seconds: uptimeSeconds,
    circuit_breakers: circuitBreakers,
    routes,
  }
  for (const [name, report] of checks) out[name] = report()
  // A section may degrade the whole report (a misconfigured Redis: a cluster node given as a URL, a replica).
  if (Object.values(out).some((part) => (part as { status?: unknown } | null)?.status === 'degraded')) out.status = 'degraded'
  return out
}

/** What a caller who may not read the status gets: the same status, no upstream URL, route or store. */
export const healthSummary = (full: Record<string, unknown>): Record<string, unknown> => ({
  status: full.status,
  uptime_seconds: full.uptime_seconds,
})
