// Readiness: whether this instance should get traffic now (a load balancer's question), with the reasons when not.
import type { CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import { routeStatus } from '../pool/route-status.js'
import type { Route } from '../routing/route.js'

export interface Readiness {
  ready: boolean
  /** Why not, one line each: "draining", "store rate_limit is down", "route api has no healthy target". */
  reasons: string[]
}

/** One route as readiness sees it: only routes with active health checks need a healthy target. */
export interface RouteReadiness {
  id: string
  healthChecked: boolean
  healthyTargets: number
}

/** A route as readiness sees it; a healthy target passes its checks, is not drained and its breaker is not open. */
export const routeReadiness = (route: Route, breakers: CircuitBreakerRegistry): RouteReadiness => ({
  id: route.id,
  healthChecked: route.pool.healthCheck !== undefined,
  healthyTargets: route.pool.healthCheck ? routeStatus(route, breakers).healthyTargets : 0,
})

/**
 * Ready unless draining, a store is not up, or a health-checked route has no healthy target.
 * @param stores the stores' health as /_health shows it: an entry `{ status }` other than 'up' is a reason.
 */
export const readinessOf = (draining: boolean, stores: Record<string, unknown>, routes: readonly RouteReadiness[]): Readiness => {
  const reasons: string[] = []
  if (draining) reasons.push('draining')
  for (const [name, health] of Object.entries(stores)) {
    const status = typeof health === 'object' && health !== null ? (health as { status?: unknown }).status : undefined
    if (status !== undefined && status !== 'up') reasons.push(`store ${name} is ${String(status)}`)
  }
  for (const route of routes) if (route.healthChecked && route.healthyTargets === 0) reasons.push(`route ${route.id} has no healthy target`)
  return { ready: reasons.length === 0, reasons }
}
