// The one list of option schemas: the core's and each capability's, composed into registerRoute's and the
// constructor's strict schemas (an unknown field is an error, with a "did you mean" suggestion).
import { cacheGatewaySchema, cacheRouteSchema } from './cache/schema.js'
import { authRouteSchema, keysGatewaySchema } from './keys/schema.js'
import { rateLimitGatewaySchema, rateLimitRouteSchema } from './limiter/schema.js'
import { coreGatewaySchema } from './options.js'
import { coreRouteSchema } from './routing/schema.js'
import { z } from './schema/kit.js'
import { upstreamGatewaySchema, upstreamLimitRouteSchema } from './upstream/schema.js'

/** The cross-field checks of each part (they read the whole options object, so they apply to the composition too). */
// biome-ignore lint/suspicious/noExplicitAny: a check written for one part's fields runs on the composed object
const checksOf = (...parts: z.ZodObject[]): z.core.$ZodCheck<any>[] =>
  parts.flatMap((part) => (part._zod.def.checks ?? []) as z.core.$ZodCheck<any>[])

/** registerRoute's options: the core's, then auth, rate limit, cache and upstream limit. */
export const routeOptionsSchema = z
  .strictObject({
    ...coreRouteSchema.shape,
    ...authRouteSchema.shape,
    ...rateLimitRouteSchema.shape,
    ...cacheRouteSchema.shape,
    ...upstreamLimitRouteSchema.shape,
  })
  .check(...checksOf(coreRouteSchema, authRouteSchema, rateLimitRouteSchema, cacheRouteSchema, upstreamLimitRouteSchema))

/** The APIGateway constructor's options. */
export const gatewayOptionsSchema = z
  .strictObject({
    ...coreGatewaySchema.shape,
    ...keysGatewaySchema.shape,
    ...rateLimitGatewaySchema.shape,
    ...cacheGatewaySchema.shape,
    ...upstreamGatewaySchema.shape,
  })
  .check(...checksOf(coreGatewaySchema, keysGatewaySchema, rateLimitGatewaySchema, cacheGatewaySchema, upstreamGatewaySchema))
