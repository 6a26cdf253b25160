// The one list of the gateway's capabilities. Adding one = its folder (schema, capability, stage) + one line here.
import { cacheCapability } from './cache/capability.js'
import { authCapability } from './keys/capability.js'
import { rateLimitCapability } from './limiter/capability.js'
import { upstreamLimitCapability } from './upstream-limits/capability.js'

/** Every capability, in the order their stages run (each one's `order`, ascending). */
export const CAPABILITIES = [authCapability, rateLimitCapability, cacheCapability, upstreamLimitCapability] as const
