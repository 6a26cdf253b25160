// GatewayHost: the narrow slice of the gateway a capability's install() gets — never the APIGateway class itself.
import type { Context, MiddlewareHandler } from 'hono'
import type { CircuitBreakerRegistry } from './breaker/circuit-breaker.js'
import type { Clock } from './clock.js'
import type { GatewayStores } from './gateway-stores.js'
import type { APIKeyManager } from './keys/api-key-manager.js'
import type { GatewayMetrics } from './metrics/gateway-metrics.js'
import type { GatewayOptions, Logger } from './options.js'
import type { RouteStatus } from './pool/route-status.js'
import type { Route } from './routing/route.js'

/** A gateway stage factory: given a route, the middleware that applies to it, or undefined to skip. */
export type StageFactory = (route: Route) => MiddlewareHandler | undefined

/** Named stage slots, run in capability order after custom middleware: auth → rate limit → cache → upstream limit. */
export type StageName = 'auth' | 'rateLimit' | 'cache' | 'upstreamLimit'

/** A route's last step: the plain forward, or a capability's governed one (chosen once per route). */
export type Terminal = (c: Context) => Promise<Response>

/** A terminal factory: given a route, its last step, or undefined to leave it to the next one (finally: forward). */
export type TerminalFactory = (route: Route) => Terminal | undefined

/** Work done on the gateway's start() and stop() (stores, timers, health checkers). */
export interface LifecycleHooks {
  start?: () => void | Promise<void>
  stop?: () => void | Promise<void>
}

/** Work done per route while the gateway runs: from start() (or registration, when running) to stop() or removal. */
export interface RouteLifecycleHooks {
  start?: (route: Route) => void | Promise<void>
  stop?: (route: Route) => void | Promise<void>
}

/**
 * One upstream exchange for a route's terminal step; `throttleStatuses` are answers that must not count as
 * upstream failures (breakers).
 */
export type SendOnce = (c: Context, throttleStatuses: readonly number[]) => Promise<Response>

/**
 * What a capability offers back to the gateway (read by its public methods). Capabilities add their entries by
 * declaration merging, as they do for GatewayOptions and RouteOptions.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface HostServices {}

/** What a capability's install() may use: set a stage, add lifecycle and health, metrics, clock, logger, stores. */
export interface GatewayHost {
  readonly options: Readonly<GatewayOptions>
  readonly logger: Logger
  readonly clock: Clock
  readonly metrics: GatewayMetrics
  readonly stores: GatewayStores
  readonly apiKeyManager: APIKeyManager
  /** Circuit breakers per upstream origin. */
  readonly breakers: CircuitBreakerRegistry
  /** Each route with its targets' health, breaker state and load. */
  routeStatuses(): RouteStatus[]
  /** Answers a request through the whole gateway (a background refresh goes through auth, limits and pool again). */
  readonly fetch: (request: Request) => Response | Promise<Response>
  /** One upstream exchange without retries (the forwarder's), for a governed terminal step. */
  readonly sendOnce: SendOnce
  /** The tier a client id was put on at runtime (setClientTier), if any. */
  clientTier(id: string): string | undefined
  setStage(name: StageName, factory: StageFactory): void
  /** Offers a route's last step in place of the plain forward (the first capability to answer for a route wins). */
  setTerminal(factory: TerminalFactory): void
  addLifecycle(hooks: LifecycleHooks): void
  addRouteLifecycle(hooks: RouteLifecycleHooks): void
  /** Adds a section to /_health. */
  addHealthCheck(name: string, report: () => unknown): void
  /** Offers a service to the gateway's public methods (e.g. the upstream-limit status behind upstreamStatus()). */
  provide<K extends keyof HostServices>(name: K, service: HostServices[K]): void
}
