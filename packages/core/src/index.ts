// Public API of @tollgate/core.
import './context.js'

export { APIGateway } from './gateway.js'
export type { RequestEvent, StartOptions, StartResult, StageFactory, StageName } from './gateway.js'
export type { GatewayOptions, Logger, ServerLimits } from './options.js'
export * from './errors.js'
export type { Clock } from './clock.js'
export { systemClock } from './clock.js'
export type { APIKeyIdentity } from './context.js'
export * from './routing/route.js'
export { normalizePath } from './routing/normalize-path.js'
export { ConfigError, describeValue, isPlainObject } from './routing/resolve-options.js'
export * from './pool/types.js'
export { UpstreamPool } from './pool/upstream-pool.js'
export * from './breaker/circuit-breaker.js'
export * from './retry/retry-policy.js'
export type { TrustProxy } from './proxy/client-ip.js'
export * from './metrics/index.js'
export * from './middleware/index.js'
export * from './keys/index.js'
export * from './admin/index.js'
export { poolFamilies, routeStatus, type RouteStatus, type TargetStatus } from './pool/route-status.js'
export {
  HealthChecker,
  HEALTH_CHECK_JITTER,
  type HealthProbe,
  type HealthCheckerOptions,
  type ProbeRequest,
} from './pool/health-checker.js'
export { createHTTPProbe, type HTTPProbe } from './pool/http-probe.js'
export { balancers, toPoolSpec } from './pool/upstream-pool.js'
export { RoundRobinBalancer } from './pool/round-robin.js'
export { LeastConnectionsBalancer } from './pool/least-connections.js'
export { RandomBalancer } from './pool/random.js'
export { HashBalancer, hash32, buildHashRing } from './pool/hash.js'
export { HEALTH_CHECK_DEFAULTS, BALANCE_STRATEGIES } from './pool/pool-spec.js'
export * from './cache/index.js'
export * from './limiter/index.js'
export * from './store/index.js'
export * from './upstream/index.js'
export { installUpstreamLimits, upstreamFamilies } from './upstream/install-upstream-limits.js'
export type { GatewayStores } from './gateway-stores.js'
