// What a route's pool looks like from outside: targets with health, breaker and load, for /_health, metrics and admin.
import type { CircuitBreakerRegistry, CircuitState } from '../breaker/circuit-breaker.js'
import type { PrometheusFamily } from '../metrics/gateway-metrics.js'
import type { Route } from '../routing/route.js'
import type { TargetSnapshot } from './types.js'

export interface TargetStatus extends TargetSnapshot {
  breaker: CircuitState
}

export interface RouteStatus {
  id: string
  prefix: string
  methods: readonly string[] | 'ALL'
  balance: string
  healthyTargets: number
  targets: TargetStatus[]
}

export const routeStatus = (route: Route, breakers: CircuitBreakerRegistry): RouteStatus => {
  const targets = route.pool.snapshot().map((t, i) => ({
    ...t,
    breaker: breakers.get(route.pool.targets[i]!.origin, route.options.circuitBreaker).state,
  }))
  return {
    id: route.id,
    prefix: route.prefix,
    methods: route.options.methods ?? 'ALL',
    balance: route.pool.strategy,
    healthyTargets: targets.filter((t) => t.healthy && !t.draining && t.breaker !== 'OPEN').length,
    targets,
  }
}

const BREAKER_VALUE: Record<CircuitState, number> = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 }

/** Prometheus families for every target of every route. */
export const poolFamilies = (statuses: readonly RouteStatus[]): PrometheusFamily[] => {
  const family = (name: string, help: string, type: PrometheusFamily['type'], read: (t: TargetStatus) => number): PrometheusFamily => ({
    name,
    help,
    type,
    samples: statuses.flatMap((r) => r.targets.map((t) => ({ labels: { route: r.id, target: t.url }, value: read(t) }))),
  })
  return [
    family('tollgate_target_healthy', 'Whether the target passes health checks and is not drained (1) or not (0)', 'gauge', (t) =>
      Number(t.healthy && !t.draining),
    ),
    family(
      'tollgate_target_breaker_state',
      'Circuit breaker of the target: 0 closed, 1 half-open, 2 open',
      'gauge',
      (t) => BREAKER_VALUE[t.breaker],
    ),
    family('tollgate_target_in_flight', 'Requests in flight to the target', 'gauge', (t) => t.inFlight),
    family('tollgate_target_requests_total', 'Upstream attempts sent to the target', 'counter', (t) => t.requests),
    family('tollgate_target_failures_total', 'Failed upstream attempts (connection errors, timeouts, 5xx)', 'counter', (t) => t.failures),
  ]
}
