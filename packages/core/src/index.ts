// Public API of @tollgate/core.
import './context.js'

export * from './errors.js'
export type { Clock } from './clock.js'
export { systemClock } from './clock.js'
export * from './routing/route.js'
export { normalizePath } from './routing/normalize-path.js'
export * from './pool/types.js'
export { UpstreamPool } from './pool/upstream-pool.js'
export * from './breaker/circuit-breaker.js'
export * from './retry/retry-policy.js'
export type { APIKeyIdentity } from './context.js'
