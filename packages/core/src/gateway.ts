// APIGateway: owns the Hono app and composes routing, the stage pipeline, forwarding, metrics and lifecycle.
import { consola } from 'consola'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { CircuitBreakerRegistry } from './breaker/circuit-breaker.js'
import { systemClock, type Clock } from './clock.js'
import './context.js'
import { ConfigError, GatewayError, gatewayErrorResponse, jsonError } from './errors.js'
import { GatewayMetrics } from './metrics/gateway-metrics.js'
import type { GatewayOptions, Logger } from './options.js'
import { UpstreamPool } from './pool/upstream-pool.js'
import { routeStatus, type RouteStatus } from './pool/route-status.js'
import type { UpstreamSpec } from './pool/types.js'
import { compileTrustProxy, type ProxyTrust } from './proxy/client-ip.js'
import { createForwarding, type Forwarding } from './server/forwarding.js'
import { upgradeOf } from './websocket/upgrade-bindings.js'
import { normalizePrefix } from './routing/normalize-path.js'
import { resolveRouteOptions } from './routing/resolve-options.js'
import { gatewayOptionsSchema, routeOptionsSchema } from './option-schemas.js'
import { parseOptions } from './schema/parse.js'
import { routeIdFromPrefix, type Route, type RouteOptions } from './routing/route.js'
import { RouteTable } from './routing/route-table.js'
import { runPipeline } from './pipeline/run-pipeline.js'
import { sendProxied, sentStatus } from './proxy/direct-write.js'
import { RoutePipelines } from './pipeline/route-pipelines.js'
import type { StartOptions, StartResult } from './server/node-server.js'
import { GatewayListeners, type StopOptions, type StopResult } from './server/listeners.js'
import { mountBuiltInEndpoints, type Surface } from './server/built-in-endpoints.js'
import { healthReport } from './ops/health-report.js'
import { readinessOf, routeReadiness, type Readiness } from './ops/readiness.js'
import { recordRequestContext } from './server/request-context.js'
import type { RequestEvent } from './server/request-events.js'
import { RequestObserver } from './observability/observer.js'
import { internalError } from './server/internal-error.js'
import type { APIKeyManager } from './keys/api-key-manager.js'
import { gatewayKeyManager } from './keys/gateway-key-manager.js'
import { ClientTiers, type TierAssignment } from './keys/client-tiers.js'
import { purgeCache, purgeRouteCache } from './cache/purge.js'
import { createGatewayStores, type GatewayStores } from './gateway-stores.js'
import { rateLimitError } from './limiter/capability.js'
import { parseTier } from './limiter/config.js'
import './limiter/options.js'
import './ops/options.js'
import type { UpstreamStatus } from './upstream-limits/types.js'
import { CAPABILITIES } from './capabilities.js'
import type { GatewayHost, HostServices, LifecycleHooks, RouteLifecycleHooks, StageFactory, StageName } from './host.js'

export type { StartOptions, StartResult } from './server/node-server.js'
export type { StopOptions, StopResult } from './server/listeners.js'

export type { RequestEvent } from './server/request-events.js'

export type { StageFactory, StageName } from './host.js'

/** Stage slots in the order they run after custom middleware: the capabilities' `order` (one without a stage, such as
 * poolHealth, has no factory in its slot and adds nothing). */
const STAGE_ORDER = [...CAPABILITIES].sort((a, b) => a.order - b.order).map((capability) => capability.name as StageName)

/**
 * A programmable API gateway on Hono.
 * @example
 * const gateway = new APIGateway()
 * gateway.registerRoute('/api/users', 'http://127.0.0.1:8001', { methods: ['GET', 'POST'] })
 * const { url } = await gateway.start({ port: 8080 })
 */
export class APIGateway {
  /** The Hono app: mount it in another app, or call `gateway.app.request(...)` in tests. */
  readonly app: Hono
  /** With `adminPort`: the admin listener's app (status endpoints and /_admin), which `app` then leaves out. */
  readonly adminApp: Hono | undefined
  readonly metrics: GatewayMetrics
  readonly breakers: CircuitBreakerRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly options: Readonly<GatewayOptions>
  /** Issues, validates, lists, revokes and rotates API keys. */
  readonly apiKeyManager: APIKeyManager

  readonly #routes = new RouteTable()
  readonly #pipelines: RoutePipelines
  readonly #observer: RequestObserver
  readonly #forwarding: Forwarding
  readonly #trustProxy: ProxyTrust
  readonly #lifecycle: LifecycleHooks[] = []
  readonly #routeLifecycle: RouteLifecycleHooks[] = []
  readonly #services: Partial<HostServices> = {}
  readonly #health = new Map<string, () => unknown>()
  readonly #clientTiers: ClientTiers
  readonly #stores: GatewayStores
  readonly #listeners: GatewayListeners

  constructor(options: GatewayOptions = {}) {
    parseOptions(gatewayOptionsSchema, options, 'options')
    this.options = options
    this.logger = options.logger ?? consola.withTag('tollgate')
    this.clock = options.clock ?? systemClock
    this.#trustProxy = compileTrustProxy(options.trustProxy)
    this.#observer = new RequestObserver(options, this.logger)
    this.metrics = new GatewayMetrics(this.clock)
    this.breakers = new CircuitBreakerRegistry(this.clock)
    this.breakers.onStateChange = (origin, from, to) => this.logger.warn(`circuit ${origin}: ${from} → ${to}`)
    this.metrics.section('circuit_breakers', () => {
      const out: Record<string, { state: string; failures: number }> = {}
      for (const [origin, breaker] of this.breakers.entries()) out[origin] = { state: breaker.state, failures: breaker.failures }
      return out
    })
    this.#forwarding = createForwarding(options, { metrics: this.metrics, breakers: this.breakers, trustProxy: this.#trustProxy })
    this.#pipelines = new RoutePipelines(STAGE_ORDER, this.#forwarding.forward, this.metrics, this.#forwarding.websockets.gate)
    this.#stores = createGatewayStores(options, this.logger, this.clock)
    const stores = this.#stores
    const keyDeps = { clock: this.clock, logger: this.logger, stores, isTier: (name: string) => this.isTier(name) }
    this.apiKeyManager = gatewayKeyManager(options.apiKeys, { ...keyDeps, validateRateLimit: (value) => this.validateRateLimit(value) })
    this.#clientTiers = new ClientTiers(this.apiKeyManager)
    const host = this.#host()
    for (const capability of CAPABILITIES) capability.install(host)
    this.addHealthCheck('stores', () => stores.health())
    this.metrics.section('stores', () => stores.health())
    this.metrics.prometheus(() => stores.prometheus())
    this.addLifecycle({
      start: () => stores.connect(this.logger),
      stop: async () => {
        await this.apiKeyManager.close()
        await stores.close()
      },
    })
    const split = options.adminPort !== undefined
    this.app = this.#createApp(split ? 'traffic' : 'combined')
    this.adminApp = split ? this.#createApp('admin') : undefined
    const { websockets: tunnels } = this.#forwarding
    this.#listeners = new GatewayListeners({ options, logger: this.logger, fetch: this.fetch, adminFetch: this.adminApp?.fetch, tunnels })
  }

  /** The shared Redis client when `redisUrl` or `redis` is set (an ioredis Cluster, typed as Redis, for `redis.cluster`). */
  get redis(): GatewayStores['redis'] {
    return this.#stores.redis
  }

  /**
   * Resolves once the shared store (Redis) is connected, at once without `redisUrl`; rejects with
   * StoreUnavailableError after `timeoutMs` (default 5 000). `start()` waits for it too (2 s, then starts anyway).
   * @example
   * const gateway = new APIGateway({ redisUrl })
   * await gateway.ready()
   * await gateway.apiKeyManager.createApiKey('boot key')
   */
  ready(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.#stores.ready(options.timeoutMs)
  }

  /** Checks a rate limit config; returns an error message naming the field, or undefined. */
  validateRateLimit(value: unknown): string | undefined {
    return rateLimitError(value)
  }

  /** Whether `name` is a rate-limit tier (free, basic, premium, enterprise). */
  isTier(name: string): boolean {
    return parseTier(name) !== undefined
  }

  /** Purges cached responses under `prefix` (or all); resolves to how many were removed. */
  purgeCache(prefix?: string): Promise<number> {
    return purgeCache(this.#stores.cache, prefix)
  }

  /** Each upstream-limited upstream: rate, pause, throttles and its callers' shares (also at GET /_upstreams). */
  upstreamStatus(): UpstreamStatus[] {
    return this.#services.upstreamStatus?.() ?? []
  }

  /** Handles a Fetch API request without a socket (tests, serverless, mounting). */
  fetch = (request: Request, env?: unknown): Response | Promise<Response> => this.app.fetch(request, env)

  /** All registered routes, longest prefix first. */
  get routes(): readonly Route[] {
    return this.#routes.routes
  }

  /**
   * Routes requests whose path starts with `prefix` (on a segment boundary) to `upstream`.
   * Can be called while the gateway runs.
   */
  registerRoute(prefix: string, upstream: UpstreamSpec, options: RouteOptions = {}): this {
    if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
      throw new ConfigError(`prefix must be a path starting with "/", got ${JSON.stringify(prefix)}`, { path: 'prefix' })
    }
    const normalized = normalizePrefix(prefix)
    parseOptions(routeOptionsSchema, options, 'options')
    const resolved = resolveRouteOptions(options)
    const pool = new UpstreamPool(upstream)
    const methods = resolved.methods ? new Set(resolved.methods) : undefined
    const route: Route = {
      id: options.id ?? routeIdFromPrefix(normalized),
      prefix: normalized,
      pool,
      methods,
      allow: resolved.methods ? resolved.methods.join(', ') : '',
      options: resolved,
      raw: options,
    }
    // Build the stages first so a capability's config error rejects the route before it is visible.
    this.#pipelines.compile(route)
    this.#routes.add(route)
    if (this.#listeners.listening) void this.#onRouteStart(route)
    return this
  }

  /** Removes a route by prefix or id; returns whether one was removed. */
  removeRoute(prefixOrId: string): boolean {
    const route = this.#routes.remove(prefixOrId.startsWith('/') ? normalizePrefix(prefixOrId) : prefixOrId)
    if (route) {
      this.metrics.dropRoute(route.id)
      void purgeRouteCache(this.#stores.cache, route).catch(() => {})
      void this.#onRouteStop(route)
    }
    return route !== undefined
  }

  /**
   * Puts a client id (an IP) or an API key id on a rate-limit tier at runtime; the most recent assignment wins,
   * also over the tier a key was created with. A client id applies at once (this instance); a key id is written to
   * the key's record: at once here, within the key cache's TTL on other instances. Await it for key ids.
   */
  setClientTier(id: string, tier: string): Promise<TierAssignment> {
    const parsed = parseTier(tier)
    if (!parsed) throw new ConfigError(`setClientTier: tier must be one of free, basic, premium, enterprise, got ${JSON.stringify(tier)}`)
    return this.#clientTiers.set(id, parsed)
  }

  /** The tier a client id (not an API key) was put on with setClientTier, if any. */
  clientTier(id: string): string | undefined {
    return this.#clientTiers.get(id)
  }

  /** Each route with its targets' health, breaker state and load. */
  routeStatuses(): RouteStatus[] {
    return this.#routes.routes.map((route) => routeStatus(route, this.breakers))
  }

  /**
   * Drains a target of a route (in-flight requests finish, no new ones start), or undrains it with `drain: false`.
   * Returns false when the route or target index does not exist.
   */
  drainTarget(routeId: string, index: number, drain = true): boolean {
    const route = this.#routes.routes.find((r) => r.id === routeId)
    if (!route) return false
    const done = drain ? route.pool.drain(index) : route.pool.undrain(index)
    if (done) this.logger.info(`route ${routeId}: target ${index} ${drain ? 'drained' : 'back in rotation'}`)
    return done
  }

  /** Adds a Hono middleware that runs after route resolution, before the gateway's own stages, in order added. */
  addMiddleware(middleware: MiddlewareHandler): this {
    if (typeof middleware !== 'function') throw new ConfigError('addMiddleware: middleware must be a function (c, next) => …')
    this.#pipelines.addMiddleware(middleware)
    return this
  }

  /** Plugs a capability into its stage slot (used by the gateway's own capabilities). */
  setStage(name: StageName, factory: StageFactory): this {
    this.#pipelines.setStage(name, factory)
    return this
  }

  /** Registers work done on start() and stop() (health checkers, stores, timers). */
  addLifecycle(hooks: LifecycleHooks): this {
    this.#lifecycle.push(hooks)
    return this
  }

  /** Adds a section to /_health (e.g. a store's connectivity); a section with `status: 'degraded'` makes the whole 'degraded'. */
  addHealthCheck(name: string, report: () => unknown): this {
    this.#health.set(name, report)
    return this
  }

  on(_event: 'request', listener: (event: RequestEvent) => void): this {
    this.#observer.on(listener)
    return this
  }

  off(_event: 'request', listener: (event: RequestEvent) => void): this {
    this.#observer.off(listener)
    return this
  }

  /** Listens on `port` (0 = ephemeral), and on `adminPort` when set; resolves with the bound ports and URLs. */
  async start(options: StartOptions = {}): Promise<StartResult> {
    const result = await this.#listeners.start(options)
    for (const hooks of this.#lifecycle) await hooks.start?.()
    for (const route of this.#routes.routes) await this.#onRouteStart(route)
    return result
  }

  /** From now on /_health/ready answers 503, all else is served; resolves after `drainDelayMs` (stop() starts it too). */
  drain(): Promise<void> {
    return this.#listeners.drain()
  }

  /**
   * Drains (`drainDelayMs`), stops accepting connections, lets in-flight requests finish (up to shutdownTimeoutMs),
   * then closes everything; resolves with how many requests were cut at that deadline.
   */
  async stop(options: StopOptions = {}): Promise<StopResult> {
    const result = await this.#listeners.stop(options)
    for (const route of this.#routes.routes) await this.#onRouteStop(route)
    for (const hooks of [...this.#lifecycle].reverse()) await hooks.stop?.()
    await this.#forwarding.dispatcher.close().catch(() => {})
    return result
  }

  /** The JSON served at /_health (in full to whoever may read the status). */
  health(): Record<string, unknown> {
    const uptimeSeconds = Math.round((this.clock.now() - this.metrics.startedAt) / 1000)
    return healthReport({ routes: this.routeStatuses(), uptimeSeconds, circuitBreakers: this.breakers.snapshot(), checks: this.#health })
  }

  /** What /_health/ready answers: ready unless draining, a store is down, or a health-checked route has no healthy target. */
  readiness(): Readiness {
    return readinessOf(
      this.#listeners.draining,
      this.#stores.health(),
      this.#routes.routes.map((r) => routeReadiness(r, this.breakers)),
    )
  }

  /** The slice of this gateway that capabilities install through. */
  #host(): GatewayHost {
    return {
      options: this.options,
      logger: this.logger,
      clock: this.clock,
      metrics: this.metrics,
      stores: this.#stores,
      apiKeyManager: this.apiKeyManager,
      breakers: this.breakers,
      routeStatuses: () => this.routeStatuses(),
      addRouteLifecycle: (hooks) => void this.#routeLifecycle.push(hooks),
      sendOnce: this.#forwarding.forwardOnce,
      fetch: (request) => this.fetch(request),
      clientTier: (id) => this.clientTier(id),
      setStage: (name, factory) => void this.setStage(name, factory),
      setTerminal: (factory) => this.#pipelines.addTerminal(factory),
      addLifecycle: (hooks) => void this.addLifecycle(hooks),
      addHealthCheck: (name, report) => void this.addHealthCheck(name, report),
      provide: (name, service) => void (this.#services[name] = service),
    }
  }

  #createApp(surface: Surface): Hono {
    const app = new Hono()
    const listener = surface === 'admin' ? 'admin' : 'traffic'
    app.use('/_*', this.#observer.builtIn)
    mountBuiltInEndpoints(app, this, { surface, isPublic: () => this.options.publicStatus ?? this.#listeners.loopback(listener) })
    if (surface !== 'admin') app.all('*', this.#handle)
    app.onError((error, c) => (error instanceof GatewayError ? gatewayErrorResponse(c, error) : this.#internalError(c, error)))
    return app
  }

  #handle = async (c: Context): Promise<Response> => {
    const startTime = performance.now()
    const path = recordRequestContext(c, startTime, this.#trustProxy)
    this.#observer.begin(c)
    const route = this.#routes.match(path)
    const compiled = route && this.#pipelines.of(route)
    let response: Response
    try {
      if (!route || !compiled) {
        response = jsonError(c, 404, 'route_not_found', `No route matches ${path}`)
      } else {
        c.set('route', route)
        c.set('routeMetrics', compiled.metrics)
        const upgrade = upgradeOf(c)
        if (compiled.directWrite && !upgrade) this.#observer.writeDirect(c)
        response = await runPipeline(c, upgrade ? compiled.upgradePipeline : compiled.pipeline, compiled.terminal)
      }
    } catch (error) {
      response = error instanceof GatewayError ? gatewayErrorResponse(c, error) : this.#internalError(c, error)
    }
    const durationMs = performance.now() - startTime
    const status = sentStatus(c, response)
    this.metrics.recordRequest(compiled?.metrics, status, durationMs)
    // The request id goes on first: sendProxied writes exactly the headers the answer holds.
    return sendProxied(c, this.#observer.end(c, path, response, status, durationMs))
  }

  #internalError(c: Context, error: unknown): Response {
    return internalError(c, this.logger, error, { routeId: c.get('route')?.id, message: 'The gateway failed to handle the request' })
  }

  async #onRouteStart(route: Route): Promise<void> {
    for (const hooks of this.#routeLifecycle) await hooks.start?.(route)
  }

  async #onRouteStop(route: Route): Promise<void> {
    for (const hooks of [...this.#routeLifecycle].reverse()) await hooks.stop?.(route)
  }
}
