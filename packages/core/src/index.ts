// Public API of @tollgate/core: the gateway, its options and errors, and what its options and events name.
// Power-user pieces live behind subpaths: /limiter, /upstream-limits, /pool, /cache, /keys, /metrics, /admin,
// /schema, /redis (ioredis-backed stores) and /testing.
import './context.js'
import './limiter/options.js'
import './ops/options.js'
import './observability/options.js'

export { APIGateway } from './gateway.js'
export type { RequestEvent, StartOptions, StartResult, StopOptions, StopResult, StageFactory, StageName } from './gateway.js'
export type { GatewayOptions, Logger, ServerLimits } from './options.js'
export { isLoopback } from './server/listeners.js'
export * from './errors.js'
export type { Clock } from './clock.js'
export { systemClock } from './clock.js'
export type { APIKeyIdentity } from './context.js'
export * from './routing/route.js'
export { normalizePath } from './routing/normalize-path.js'

// Options, validated: the app's config schema builds on these.
export { describeValue, isPlainObject, configProblems, formatProblem, parseOptions, type ConfigProblem } from './schema/parse.js'
export { gatewayOptionsSchema, routeOptionsSchema } from './option-schemas.js'
export { extendStrict } from './schema/kit.js'
export { serverLimitsSchema } from './options.js'
export { UPSTREAM_FORM, upstreamSpecSchema } from './pool/schema.js'
export { rateLimitSchema } from './limiter/schema.js'
export { redisConfigSchema, redisOptionSchema, type RedisConfig, type RedisOption, type RedisTLSConfig } from './redis/schema.js'
export { tunnelLimitsSchema, type TunnelLimits } from './websocket/schema.js'
export type { AccessLogger, AccessLogOptions, TracerProviderLike, TracingOptions } from './observability/schema.js'
export { jsonAccessLogger, type AccessLogRecord } from './observability/access-log.js'
export type { AttemptSpan, RequestTrace } from './observability/request-trace.js'
export { parseTraceParent, type TraceParent } from './observability/trace-context.js'
export type { TunnelStats } from './websocket/tunnels.js'

// Upstreams, breakers and retries, as routes name them.
export * from './pool/types.js'
export { UpstreamPool } from './pool/upstream-pool.js'
export type { RouteStatus, TargetStatus } from './pool/route-status.js'
export type { HealthProbe, ProbeRequest } from './pool/probe.js'
export * from './breaker/circuit-breaker.js'
export { defaultRetryOptions, type RetryOptions } from './retry/retry-policy.js'
export type { ProxyTrust, TrustProxy } from './proxy/client-ip.js'

// Middleware to add with gateway.addMiddleware().
export * from './middleware/index.js'

// Rate limits: the standalone middleware, algorithms and tiers, and the store contract.
export { rateLimit, type RateLimitOptions } from './limiter/middleware.js'
export { RateLimitAlgorithm, type LimitDecision, type LimitRule, type RateLimitStore } from './limiter/types.js'
export { Tier, type KeyBy, type RateLimitConfig } from './limiter/config.js'
export { MemoryStore, type MemoryStoreOptions } from './limiter/store/memory-store.js'
export { StoreError } from './limiter/store/store-error.js'
export { DEFAULT_STORE_TIMEOUT_MS } from './limiter/store/deadline.js'
export type { StoreFailurePolicy } from './limiter/store/guarded-store.js'

// API keys.
export { APIKeyManager, type APIKeyManagerOptions, type CreateApiKeyOptions, type IssuedAPIKey } from './keys/api-key-manager.js'
export type { APIKeyInfo, APIKeyPatch, APIKeyRecord, APIKeyStatus, APIKeyStore } from './keys/types.js'
export { MemoryKeyStore } from './keys/memory-key-store.js'
export { FileKeyStore } from './keys/file-key-store.js'
export type { TierAssignment } from './keys/client-tiers.js'
export type { AuthStageDeps } from './keys/auth-stage.js'

// The response cache.
export type { CacheStore, CacheRecord } from './cache/store.js'
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './cache/memory-cache-store.js'
export type { ResolvedCacheOptions } from './cache/options.js'

// Upstream limits (third-party budgets).
export { loadPresetOverrides, upstreamPresets, listUpstreamPresets, type UpstreamPreset } from './upstream-limits/presets.js'
export type { UpstreamLimitOptions, ResolvedUpstreamLimit } from './upstream-limits/options.js'
export type { UpstreamStatus } from './upstream-limits/types.js'

// Metrics, as gateway.metrics exposes them.
export type { GatewayMetrics, MetricsSnapshot, RouteSnapshot, PrometheusFamily } from './metrics/gateway-metrics.js'
export type { GatewayStores } from './gateway-stores.js'

// Writing a capability.
export { defineCapability, type Capability } from './capability.js'
export type { GatewayHost, LifecycleHooks, Terminal, TerminalFactory } from './host.js'
