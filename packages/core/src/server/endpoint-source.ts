// What the built-in endpoints and status sub-apps read and do: the gateway's public surface (APIGateway fits it).
import type { CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import type { Clock } from '../clock.js'
import type { APIKeyManager } from '../keys/api-key-manager.js'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'
import type { Readiness } from '../ops/readiness.js'
import type { GatewayOptions, Logger } from '../options.js'
import type { RouteStatus } from '../pool/route-status.js'

/** What the endpoints read and do: the gateway's public surface (APIGateway fits it). */
export interface EndpointSource {
  readonly options: Readonly<GatewayOptions>
  readonly metrics: GatewayMetrics
  readonly breakers: CircuitBreakerRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly apiKeyManager: APIKeyManager
  health(): Record<string, unknown>
  readiness(): Readiness
  upstreamStatus(): unknown
  validateRateLimit(value: unknown): string | undefined
  isTier(name: string): boolean
  setClientTier(id: string, tier: string): unknown
  routeStatuses(): RouteStatus[]
  purgeCache(prefix?: string): Promise<number>
  drainTarget(routeId: string, index: number, drain: boolean): boolean
}
