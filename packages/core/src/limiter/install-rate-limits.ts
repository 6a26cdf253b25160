// Plugs rate limiting into a gateway: the stage after auth, tiers, config validation for keys and the admin API.
import type { APIGateway } from '../gateway.js'
import type { RateLimitStore } from './types.js'
import { parseTier, resolveRateLimit } from './config.js'
import { rateLimitStage } from './middleware.js'

export const installRateLimits = (gateway: APIGateway, store: RateLimitStore): void => {
  const { metrics, clock, options } = gateway
  gateway.setStage('rateLimit', (route) =>
    rateLimitStage(route, {
      store,
      defaultRateLimit: options.defaultRateLimit,
      clientTier: (id) => parseTier(gateway.clientTier(id)),
      headers: options.rateLimitHeaders,
      clock,
      onRejected: (c) => metrics.increment('requests_rate_limited', c.get('routeMetrics')),
    }),
  )
}

/** A rate limit config's first error, naming the field, or undefined when valid. */
export const rateLimitError = (value: unknown, field = 'rateLimit'): string | undefined => {
  try {
    resolveRateLimit(value, field)
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}
