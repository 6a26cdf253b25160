// Rate limiting's fields on registerRoute's options and on the APIGateway constructor (declaration merging).
import type { StoreFailurePolicy } from '../store/guarded-store.js'
import type { RateLimitConfig } from './config.js'
import type { RateLimitHeadersMode } from './headers.js'

declare module '../routing/route.js' {
  interface RouteOptions {
    /** This route's own limit, per caller (`keyBy`); `false` turns every limit off on the route. */
    rateLimit?: RateLimitConfig | false
  }
}

declare module '../options.js' {
  interface GatewayOptions {
    /** The caller limit for requests whose API key has no limit or tier of its own. Default: none. */
    defaultRateLimit?: RateLimitConfig
    /** Which rate limit headers to send. Default `'legacy'` (X-RateLimit-*). */
    rateLimitHeaders?: RateLimitHeadersMode
    /** Longest any store call (limits, keys, cache, upstream limits) waits for Redis, in ms. Default DEFAULT_STORE_TIMEOUT_MS. */
    storeTimeoutMs?: number
    /** When Redis fails: a local memory limiter (`'fallback'`, default), let requests pass, or 503 (`'deny'`). */
    onStoreFailure?: StoreFailurePolicy
    /** Prefix of every Redis key the gateway writes. Default `'tollgate'`. */
    keyPrefix?: string
  }
}
