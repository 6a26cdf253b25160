// Rate limiting as a capability: the stage after auth, with tiers, on the gateway's rate-limit store.
import { defineCapability } from '../capability.js'
import { parseTier, resolveRateLimit } from './config.js'
import { rateLimitStage } from './middleware.js'
import { rateLimitGatewaySchema, rateLimitRouteSchema } from './schema.js'

export const rateLimitCapability = defineCapability({
  name: 'rateLimit',
  order: 200,
  schema: rateLimitRouteSchema,
  gatewaySchema: rateLimitGatewaySchema,
  install(host) {
    const { metrics, clock, options, stores } = host
    host.setStage('rateLimit', (route) =>
      rateLimitStage(route, {
        store: stores.rateLimit,
        defaultRateLimit: options.defaultRateLimit,
        clientTier: (id) => parseTier(host.clientTier(id)),
        headers: options.rateLimitHeaders,
        clock,
        onRejected: (c) => metrics.increment('requests_rate_limited', c.get('routeMetrics')),
      }),
    )
  },
})

/** A rate limit config's first error, naming the field, or undefined when valid. */
export const rateLimitError = (value: unknown, field = 'rateLimit'): string | undefined => {
  try {
    resolveRateLimit(value, field)
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}
