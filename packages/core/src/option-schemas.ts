// registerRoute's and the constructor's strict schemas, composed from the core's and each capability's (an unknown
// field is an error, with a "did you mean" suggestion). A new capability's fields come in through CAPABILITIES.
import type { Capability } from './capability.js'
import { CAPABILITIES } from './capabilities.js'
import { coreGatewaySchema } from './options.js'
import { coreRouteSchema } from './routing/schema.js'
import { checksOf, z } from './schema/kit.js'

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never
type Caps = (typeof CAPABILITIES)[number]
type RouteShape = UnionToIntersection<Caps extends Capability<infer R, z.ZodObject> ? R['shape'] : never>
type GatewayShape = UnionToIntersection<Caps extends Capability<z.ZodObject, infer G> ? G['shape'] : never>

const compose = <S extends z.ZodRawShape>(parts: readonly z.ZodObject[]) =>
  z.strictObject(Object.assign({}, ...parts.map((part) => part.shape)) as S).check(...checksOf(...parts))

/** registerRoute's options: the core's, then each capability's route fields. */
export const routeOptionsSchema = compose<typeof coreRouteSchema.shape & RouteShape>([
  coreRouteSchema,
  ...CAPABILITIES.map((capability) => capability.schema),
])

/** The APIGateway constructor's options: the core's, then each capability's gateway fields. */
export const gatewayOptionsSchema = compose<typeof coreGatewaySchema.shape & GatewayShape>([
  coreGatewaySchema,
  ...CAPABILITIES.map((capability) => capability.gatewaySchema),
])
