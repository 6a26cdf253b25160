// registerRoute's and the constructor's strict schemas, composed from the core's and each capability's (an unknown
// field is an error, with a "did you mean" suggestion). A new capability's fields come in through CAPABILITIES.
import type { Capability } from './capability.js'
import { CAPABILITIES } from './capabilities.js'
import { observabilityGatewaySchema } from './observability/schema.js'
import { coreGatewaySchema } from './options.js'
import { opsGatewaySchema } from './ops/schema.js'
import { coreRouteSchema } from './routing/schema.js'
import { checksOf, z } from './schema/kit.js'
import { websocketGatewaySchema, websocketRouteSchema } from './websocket/schema.js'

/** The intersection of the capabilities' route (`'route'`) or gateway (`'gateway'`) shapes, one by one (a union of
 * shapes would collapse into the empty one of a capability without options). */
type Shapes<T extends readonly unknown[], Part extends 'route' | 'gateway'> = T extends readonly [infer Head, ...infer Rest]
  ? (Head extends Capability<infer R, infer G> ? (Part extends 'route' ? R['shape'] : G['shape']) : unknown) & Shapes<Rest, Part>
  : unknown
type RouteShape = Shapes<typeof CAPABILITIES, 'route'>
type GatewayShape = Shapes<typeof CAPABILITIES, 'gateway'>

const compose = <S extends z.ZodRawShape>(parts: readonly z.ZodObject[]) =>
  z.strictObject(Object.assign({}, ...parts.map((part) => part.shape)) as S).check(...checksOf(...parts))

/** registerRoute's options: the core's, then each capability's route fields. */
export const routeOptionsSchema = compose<typeof coreRouteSchema.shape & typeof websocketRouteSchema.shape & RouteShape>([
  coreRouteSchema,
  websocketRouteSchema,
  ...CAPABILITIES.map((capability) => capability.schema),
])

/** The APIGateway constructor's options: the core's, then each capability's gateway fields. */
export const gatewayOptionsSchema = compose<
  typeof coreGatewaySchema.shape &
    typeof websocketGatewaySchema.shape &
    typeof opsGatewaySchema.shape &
    typeof observabilityGatewaySchema.shape &
    GatewayShape
>([
  coreGatewaySchema,
  websocketGatewaySchema,
  opsGatewaySchema,
  observabilityGatewaySchema,
  ...CAPABILITIES.map((capability) => capability.gatewaySchema),
])
