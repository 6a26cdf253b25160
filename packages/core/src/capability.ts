// The capability contract: a route-options schema, a gateway-options schema, a place in the chain and an install.
import type { z } from 'zod'
import type { GatewayHost } from './host.js'

/**
 * One gateway capability (Kong's plugin shape): its options declared once, and an install that plugs it into the
 * gateway through GatewayHost. capabilities.ts lists every capability; the gateway installs them in `order`.
 * @example
 * export const cacheCapability = defineCapability({
 *   name: 'cache', order: 300, schema: cacheRouteSchema, gatewaySchema: cacheGatewaySchema,
 *   install: (host) => host.setStage('cache', (route) => cacheStage(route, …)),
 * })
 */
export interface Capability<R extends z.ZodObject = z.ZodObject, G extends z.ZodObject = z.ZodObject> {
  /** A stable name (the stage slot it fills, if any). */
  readonly name: string
  /** Where its stage runs: lower first (auth 100, rate limit 200, cache 300, upstream limit 400). */
  readonly order: number
  /** The fields it adds to registerRoute's options. */
  readonly schema: R
  /** The fields it adds to the APIGateway constructor's options. */
  readonly gatewaySchema: G
  install(host: GatewayHost): void
}

/** Declares a capability, keeping its schemas' types (option-schemas.ts composes them). */
export const defineCapability = <R extends z.ZodObject, G extends z.ZodObject>(capability: Capability<R, G>): Capability<R, G> => capability
