// Rate limiting's options, declared once: the route's `rateLimit`, the gateway's limiter fields, tiers and key records.
import type { Context } from 'hono'
import { fn, headerName, integer, number, oneOf, positive, text, z } from '../schema/kit.js'

export const RATE_LIMIT_ALGORITHMS = ['sliding_window', 'token_bucket', 'fixed_window'] as const

export const RATE_LIMIT_WINDOWS = [
  ['requestsPerSecond', 1_000],
  ['requestsPerMinute', 60_000],
  ['requestsPerHour', 3_600_000],
  ['requestsPerDay', 86_400_000],
] as const

const KEY_BY_FORM = "'apiKey', 'ip', a header name or a function (c) => string"

/** Who shares a limit: the API key (else the client IP), the client IP, a request header's value, or your function. */
export const keyBySchema = z.union([z.literal(['apiKey', 'ip']), headerName(), fn<(c: Context) => string>(KEY_BY_FORM)], {
  error: () => KEY_BY_FORM,
})

/**
 * A rate limit as users write it. Every window given must pass; all share `algorithm` and `cost`.
 * @example
 * { requestsPerMinute: 10, requestsPerHour: 100, cost: 5 }
 * { requestsPerSecond: 5, burstSize: 50, algorithm: 'token_bucket', keyBy: 'x-tenant-id' }
 */
export const rateLimitSchema = z
  .strictObject({
    requestsPerSecond: integer(1).optional(),
    requestsPerMinute: integer(1).optional(),
    requestsPerHour: integer(1).optional(),
    requestsPerDay: integer(1).optional(),
    /** Token bucket capacity of the shortest window (longer windows hold their own limit). Token bucket only. */
    burstSize: integer(1).optional(),
    /** Default 'sliding_window'. */
    algorithm: oneOf(RATE_LIMIT_ALGORITHMS).optional(),
    /** Units one request takes (expensive endpoints take more). Default 1. */
    cost: positive().optional(),
    /** Default `'apiKey'`: the API key's id when the request has one, else the client IP. */
    keyBy: keyBySchema.optional(),
  })
  .superRefine((limit, ctx) => {
    const algorithm = limit.algorithm ?? 'sliding_window'
    if (limit.burstSize !== undefined && algorithm !== 'token_bucket') {
      ctx.addIssue({
        code: 'custom',
        path: ['burstSize'],
        message: `!applies to algorithm 'token_bucket' only (algorithm is '${algorithm}')`,
      })
    }
    const windows = RATE_LIMIT_WINDOWS.filter(([name]) => limit[name] !== undefined)
    if (windows.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: `!needs at least one of ${RATE_LIMIT_WINDOWS.map(([n]) => n).join(', ')}` })
    }
    const cost = limit.cost ?? 1
    windows.forEach(([name], i) => {
      const capacity = i === 0 && algorithm === 'token_bucket' && limit.burstSize !== undefined ? limit.burstSize : limit[name]!
      // A capacity the field check already refused would only repeat that error.
      if (Number.isInteger(capacity) && capacity >= 1 && cost > capacity) {
        ctx.addIssue({
          code: 'custom',
          path: ['cost'],
          message: `!(${cost}) is larger than ${name}'s capacity (${capacity}): no request could pass`,
        })
      }
    })
  })

export type RateLimitConfig = z.input<typeof rateLimitSchema>

export const rateLimitRouteSchema = z.strictObject({
  /** This route's own limit, per caller (`keyBy`); `false` turns every limit off on the route. */
  rateLimit: z.union([z.literal(false), rateLimitSchema]).optional(),
})

export const STORE_FAILURE_POLICIES = ['fallback', 'allow', 'deny'] as const
export const RATE_LIMIT_HEADER_MODES = ['legacy', 'draft', 'both'] as const

export const rateLimitGatewaySchema = z.strictObject({
  /** The caller limit for requests whose API key has no limit or tier of its own. Default: none. */
  defaultRateLimit: rateLimitSchema.optional(),
  /** Which rate limit headers to send. Default `'legacy'` (X-RateLimit-*); false sends none. */
  rateLimitHeaders: z.union([oneOf(RATE_LIMIT_HEADER_MODES), z.literal(false)]).optional(),
  /** Longest a store call waits for Redis, in ms. Default DEFAULT_STORE_TIMEOUT_MS. */
  storeTimeoutMs: number(1, 60_000).optional(),
  /** When Redis fails: a local memory limiter (`'fallback'`, default), let requests pass, or 503 (`'deny'`). */
  onStoreFailure: oneOf(STORE_FAILURE_POLICIES).optional(),
  /** Prefix of every Redis key the gateway writes. Default `'tollgate'`. */
  keyPrefix: text().optional(),
})
