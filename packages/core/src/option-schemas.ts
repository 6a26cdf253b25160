// The one list of option schemas: the core's and each capability's, composed into registerRoute's and the
// constructor's strict schemas (an unknown field is an error, with a "did you mean" suggestion).
import { cacheGatewaySchema, cacheRouteSchema } from './cache/schema.js'
import { authRouteSchema, keysGatewaySchema } from './keys/schema.js'
import { rateLimitGatewaySchema, rateLimitRouteSchema } from './limiter/schema.js'
import { coreGatewaySchema } from './options.js'
import { coreRouteSchema } from './routing/schema.js'
import { checksOf, z } from './schema/kit.js'
import { upstreamGatewaySchema, upstreamLimitRouteSchema } from './upstream/schema.js'
import { websocketGatewaySchema, websocketRouteSchema } from './websocket/schema.js'

/** registerRoute's options: the core's, then auth, rate limit, cache and upstream limit, WebSocket. */
export const routeOptionsSchema = z
  .strictObject({
    ...coreRouteSchema.shape,
    ...authRouteSchema.shape,
    ...rateLimitRouteSchema.shape,
    ...cacheRouteSchema.shape,
    ...upstreamLimitRouteSchema.shape,
    ...websocketRouteSchema.shape,
  })
  .check(
    ...checksOf(coreRouteSchema, authRouteSchema, rateLimitRouteSchema, cacheRouteSchema, upstreamLimitRouteSchema, websocketRouteSchema),
  )

/** The APIGateway constructor's options. */
export const gatewayOptionsSchema = z
  .strictObject({
    ...coreGatewaySchema.shape,
    ...keysGatewaySchema.shape,
    ...rateLimitGatewaySchema.shape,
    ...cacheGatewaySchema.shape,
    ...upstreamGatewaySchema.shape,
    ...websocketGatewaySchema.shape,
  })
  .check(
    ...checksOf(
      coreGatewaySchema,
      keysGatewaySchema,
      rateLimitGatewaySchema,
      cacheGatewaySchema,
      upstreamGatewaySchema,
      websocketGatewaySchema,
    ),
  )
