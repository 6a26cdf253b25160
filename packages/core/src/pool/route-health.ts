// Active health checks of a route's targets while the gateway runs, logged, and closing breakers they prove wrong.
import type { CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import type { Clock } from '../clock.js'
import type { Logger } from '../options.js'
import type { Route } from '../routing/route.js'

/** Starts the route's health checks: a target passing them again resets its breaker, and every change is logged. */
export const startRouteHealthChecks = (route: Route, deps: { clock: Clock; breakers: CircuitBreakerRegistry; logger: Logger }): void => {
  route.pool.startHealthChecks({
    clock: deps.clock,
    onChange: (target, healthy) => {
      // Passing active checks again is better evidence than a breaker still waiting out its recovery timeout.
      if (healthy) deps.breakers.get(target.origin, route.options.circuitBreaker).reset()
      deps.logger.warn(
        `route ${route.id}: target ${target.url.origin}${target.basePath} is ${healthy ? 'healthy again' : 'unhealthy'}${healthy ? '' : ` (${target.lastCheckError ?? 'failed checks'})`}`,
      )
    },
  })
}
