// Rate limiting's fields on registerRoute's options and on the APIGateway constructor, typed from limiter/schema.ts.
import type { z } from 'zod'
import type { rateLimitGatewaySchema, rateLimitRouteSchema } from './schema.js'

declare module '../routing/route.js' {
  interface RouteOptions extends z.input<typeof rateLimitRouteSchema> {}
}

declare module '../options.js' {
  interface GatewayOptions extends z.input<typeof rateLimitGatewaySchema> {}
}
