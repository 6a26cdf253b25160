// The one list of the gateway's capabilities. Adding one = its folder (schema, capability, stage) + one line here.
import { cacheCapability } from './cache/capability.js'
import { authCapability } from './keys/capability.js'
import { rateLimitCapability } from './limiter/capability.js'
import { upstreamLimitCapability } from './upstream-limits/capability.js'
import { poolHealthCapability } from './pool/capability.js'
import { processMetricsCapability } from './metrics/process-capability.js'

/** Every capability, in install order; their stages run by each one's `order`, ascending. */
export const CAPABILITIES = [
  poolHealthCapability,
  authCapability,
  rateLimitCapability,
  cacheCapability,
  upstreamLimitCapability,
  processMetricsCapability,
] as const
