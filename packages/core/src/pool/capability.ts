// Pool health as a capability: active health checks of each route's targets while the gateway runs, and the pools'
// figures in /_metrics and Prometheus.
import { defineCapability } from '../capability.js'
import { z } from '../schema/kit.js'
import { startRouteHealthChecks } from './route-health.js'
import { poolFamilies } from './route-status.js'

export const poolHealthCapability = defineCapability({
  name: 'poolHealth',
  order: 0,
  // A route's pool and its health checks are declared with its upstream (pool/schema.ts), not in its options.
  schema: z.strictObject({}),
  gatewaySchema: z.strictObject({}),
  install(host) {
    host.metrics.section('pools', () => Object.fromEntries(host.routeStatuses().map((r) => [r.id, r])))
    host.metrics.prometheus(() => poolFamilies(host.routeStatuses()))
    host.addRouteLifecycle({
      start: (route) => startRouteHealthChecks(route, host),
      stop: (route) => route.pool.stopHealthChecks(),
    })
  },
})
