// WebSocket proxying's fields on registerRoute's options and on the APIGateway constructor, typed from schema.ts.
import type { z } from 'zod'
import type { websocketGatewaySchema, websocketRouteSchema } from './schema.js'

declare module '../routing/route.js' {
  interface RouteOptions extends z.input<typeof websocketRouteSchema> {}
}

declare module '../options.js' {
  interface GatewayOptions extends z.input<typeof websocketGatewaySchema> {}
}
