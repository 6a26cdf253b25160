// WebSocket proxying's options, declared once: the route's `websocket` and the gateway's tunnel defaults.
import { boolean, integer, z } from '../schema/kit.js'

/** Time limits of one tunnel; a route's values override the gateway's. */
export const tunnelLimitsSchema = z.strictObject({
  /** A tunnel with no bytes either way for this long is closed, in ms. Default 300 000 (5 min). */
  idleTimeoutMs: integer(1, 86_400_000).optional(),
  /** A tunnel is closed this long after it opened, whatever its traffic, in ms. Default: no limit. */
  maxLifetimeMs: integer(1, 30 * 86_400_000).optional(),
})

export const websocketRouteSchema = z.strictObject({
  /**
   * Proxy `Upgrade: websocket` requests (after route match, custom middleware, auth, rate limit and upstream limit).
   * `false` answers them 501 websocket_not_supported; an object enables them with the route's own time limits.
   * Default true.
   */
  websocket: z.union([boolean(), tunnelLimitsSchema], { error: () => 'true, false or { idleTimeoutMs, maxLifetimeMs }' }).optional(),
})

export const websocketGatewaySchema = z.strictObject({
  /** Time limits of every WebSocket tunnel (routes may override them). */
  websocket: tunnelLimitsSchema.optional(),
})

export type TunnelLimits = z.input<typeof tunnelLimitsSchema>
