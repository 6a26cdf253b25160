// APIGateway: owns the Hono app and composes routing, the stage pipeline, forwarding, metrics and lifecycle.
import { EventEmitter } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { consola } from 'consola'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { Agent } from 'undici'
import { CircuitBreakerRegistry } from './breaker/circuit-breaker.js'
import { systemClock, type Clock } from './clock.js'
import './context.js'
import { ConfigError, GatewayError, jsonError } from './errors.js'
import { GatewayMetrics, type RouteMetrics } from './metrics/gateway-metrics.js'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './metrics/prometheus.js'
import type { GatewayOptions, Logger } from './options.js'
import { UpstreamPool } from './pool/upstream-pool.js'
import { poolFamilies, routeStatus, type RouteStatus } from './pool/route-status.js'
import type { UpstreamSpec } from './pool/types.js'
import { compileTrustProxy, normalizeIp, peerTrusted, resolveClientIp, type ProxyTrust } from './proxy/client-ip.js'
import { Forwarder } from './proxy/forward.js'
import { createUpstreamAgent, installUpstreamAgentMetrics } from './proxy/upstream-agent.js'
import { incomingOf } from './proxy/node-bindings.js'
import { requestHeader } from './proxy/request-header.js'
import { normalizePath, normalizePrefix } from './routing/normalize-path.js'
import { resolveRouteOptions } from './routing/resolve-options.js'
import { gatewayOptionsSchema, routeOptionsSchema } from './option-schemas.js'
import { parseOptions } from './schema/parse.js'
import { routeIdFromPrefix, type Route, type RouteOptions } from './routing/route.js'
import { RouteTable } from './routing/route-table.js'
import { runPipeline } from './pipeline/run-pipeline.js'
import { settleBodies } from './server/settle-body.js'
import { internalError } from './server/internal-error.js'
import { adminApi } from './admin/admin-api.js'
import { APIKeyManager } from './keys/api-key-manager.js'
import { authStage, identifyCaller } from './keys/auth-stage.js'
import { ClientTiers, type TierAssignment } from './keys/client-tiers.js'
import { installCache } from './cache/install-cache.js'
import { purgeCache, purgeRouteCache } from './cache/purge.js'
import { createGatewayStores, type GatewayStores } from './gateway-stores.js'
import { installRateLimits, rateLimitError } from './limiter/install-rate-limits.js'
import { parseTier } from './limiter/config.js'
import './limiter/options.js'
import { installUpstreamLimits } from './upstream/install-upstream-limits.js'
import type { UpstreamGovernors } from './upstream/registry.js'
import { listUpstreamPresets } from './upstream/presets.js'
import { requireToken } from './admin/admin-api.js'
import { installWebSockets, type WebSockets } from './websocket/install.js'
import { upgradeOf } from './websocket/upgrade-bindings.js'

export interface StartOptions {
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port?: number
  /** Interface to bind. Default 127.0.0.1. */
  host?: string
}

export interface StartResult {
  port: number
  host: string
  /** Base URL reachable from this machine, e.g. http://127.0.0.1:8080. */
  url: string
}

/** One event per request, for integrators (`gateway.on('request', e => …)`). */
export interface RequestEvent {
  method: string
  path: string
  routeId: string | undefined
  status: number
  durationMs: number
  clientId: string | undefined
  upstream: string | undefined
  attempts: number
  error: string | undefined
}

/** A gateway stage factory: given a route, the middleware that applies to it, or undefined to skip. */
export type StageFactory = (route: Route) => MiddlewareHandler | undefined

/** Named stage slots, run in this order after custom middleware: auth → rate limit → cache → upstream limit. */
export type StageName = 'auth' | 'rateLimit' | 'cache' | 'upstreamLimit'
const STAGE_ORDER: readonly StageName[] = ['auth', 'rateLimit', 'cache', 'upstreamLimit']

/** What the hot path needs per route, built once: its middleware chain and its metrics handle. */
interface CompiledRoute {
  pipeline: readonly MiddlewareHandler[]
  /** For `Upgrade` requests: the WebSocket gate, then the same stages without the cache. */
  upgradePipeline: readonly MiddlewareHandler[]
  metrics: RouteMetrics
}

const splitUrl = (url: string): { path: string } => {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return { path: '/' }
  const q = url.indexOf('?', start)
  const hash = url.indexOf('#', start)
  const end = q >= 0 ? q : hash >= 0 ? hash : url.length
  return { path: url.slice(start, end) }
}

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
  readonly metrics: GatewayMetrics
  readonly breakers: CircuitBreakerRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly options: Readonly<GatewayOptions>
  /** Issues, validates, lists, revokes and rotates API keys. */
  readonly apiKeyManager: APIKeyManager

  readonly #routes = new RouteTable()
  readonly #middleware: MiddlewareHandler[] = []
  readonly #stages = new Map<StageName, StageFactory>()
  #pipelines = new WeakMap<Route, CompiledRoute>()
  readonly #events = new EventEmitter()
  readonly #dispatcher: Agent
  readonly #forwarder: Forwarder
  readonly #websockets: WebSockets
  readonly #forward: (c: Context) => Promise<Response>
  readonly #trustProxy: ProxyTrust
  readonly #lifecycle: Array<{ start?: () => void | Promise<void>; stop?: () => void | Promise<void> }> = []
  readonly #health = new Map<string, () => unknown>()
  readonly #clientTiers: ClientTiers
  readonly #stores: GatewayStores
  readonly #upstreams: UpstreamGovernors
  #server: Server | undefined
  #started = false

  constructor(options: GatewayOptions = {}) {
    parseOptions(gatewayOptionsSchema, options, 'options')
    this.options = options
    this.logger = options.logger ?? consola.withTag('tollgate')
    this.clock = options.clock ?? systemClock
    this.#trustProxy = compileTrustProxy(options.trustProxy)
    this.metrics = new GatewayMetrics(this.clock)
    this.breakers = new CircuitBreakerRegistry(this.clock)
    this.breakers.onStateChange = (origin, from, to) => this.logger.warn(`circuit ${origin}: ${from} → ${to}`)
    this.metrics.section('circuit_breakers', () => {
      const out: Record<string, { state: string; failures: number }> = {}
      for (const [origin, breaker] of this.breakers.entries()) out[origin] = { state: breaker.state, failures: breaker.failures }
      return out
    })
    this.metrics.section('pools', () => Object.fromEntries(this.routeStatuses().map((r) => [r.id, r])))
    this.metrics.prometheus(() => poolFamilies(this.routeStatuses()))
    this.#dispatcher = createUpstreamAgent(options)
    installUpstreamAgentMetrics(this.metrics, this.#dispatcher)
    this.#forwarder = new Forwarder({
      dispatcher: this.#dispatcher,
      breakers: this.breakers,
      trustProxy: this.#trustProxy,
      via: options.via ?? '1.1 tollgate',
    })
    this.#websockets = installWebSockets({
      metrics: this.metrics,
      breakers: this.breakers,
      trustProxy: this.#trustProxy,
      via: options.via ?? '1.1 tollgate',
      limits: options.websocket,
    })
    this.#forward = this.#websockets.terminal(this.#forwarder.forward)
    this.#stores = createGatewayStores(options, this.logger, this.clock)
    const stores = this.#stores
    this.apiKeyManager =
      options.apiKeys instanceof APIKeyManager
        ? options.apiKeys
        : new APIKeyManager({
            clock: this.clock,
            logger: this.logger,
            store: stores.keys,
            storeTimeoutMs: stores.timeoutMs,
            validateRateLimit: (value) => this.validateRateLimit(value),
            isTier: (name) => this.isTier(name),
            ...options.apiKeys,
          })
    this.#clientTiers = new ClientTiers(this.apiKeyManager)
    const callerIdentity = identifyCaller({ manager: this.apiKeyManager })
    this.setStage('auth', (route) => authStage(route, { manager: this.apiKeyManager }) ?? callerIdentity)
    installRateLimits(this, stores.rateLimit)
    installCache(this, stores.cache)
    this.#upstreams = installUpstreamLimits(this, {
      redis: stores.redis,
      prefix: stores.prefix,
      send: this.#websockets.terminal(this.#forwarder.forwardOnce),
    })
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
    this.app = this.#createApp()
  }

  /** The shared Redis client when `redisUrl` is set (for custom stores and middleware). */
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
  upstreamStatus(): ReturnType<UpstreamGovernors['status']> {
    return this.#upstreams.status()
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
    const compiled = this.#compile(route)
    this.#routes.add(route)
    this.#pipelines.set(route, compiled)
    if (this.#started) void this.#onRouteStart(route)
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
    this.#middleware.push(middleware)
    this.#pipelines = new WeakMap()
    return this
  }

  /** Plugs a capability into its stage slot (used by the gateway's own capabilities). */
  setStage(name: StageName, factory: StageFactory): this {
    this.#stages.set(name, factory)
    this.#pipelines = new WeakMap()
    return this
  }

  /** Registers work done on start() and stop() (health checkers, stores, timers). */
  addLifecycle(hooks: { start?: () => void | Promise<void>; stop?: () => void | Promise<void> }): this {
    this.#lifecycle.push(hooks)
    return this
  }

  /** Adds a section to /_health (e.g. a store's connectivity). */
  addHealthCheck(name: string, report: () => unknown): this {
    this.#health.set(name, report)
    return this
  }

  on(event: 'request', listener: (event: RequestEvent) => void): this {
    this.#events.on(event, listener)
    return this
  }

  off(event: 'request', listener: (event: RequestEvent) => void): this {
    this.#events.off(event, listener)
    return this
  }

  /** Listens on `port` (0 = ephemeral) and resolves with the bound port and URL. */
  async start(options: StartOptions = {}): Promise<StartResult> {
    if (this.#server) throw new Error('start: the gateway is already running; call stop() first')
    const port = options.port ?? 8080
    const host = options.host ?? '127.0.0.1'
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new ConfigError(`start: port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`)
    const limits = this.options.server ?? {}
    const headersTimeout = limits.headersTimeoutMs ?? 10_000
    const server = createAdaptorServer({
      fetch: settleBodies(this.fetch),
      hostname: host,
      serverOptions: {
        maxHeaderSize: limits.maxHeaderBytes ?? 16_384,
        requestTimeout: limits.requestTimeoutMs ?? 300_000,
        headersTimeout,
        keepAliveTimeout: limits.keepAliveTimeoutMs ?? 5_000,
        // Node checks both timeouts only this often (30 s by default), which would make short ones meaningless.
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, headersTimeout / 4)),
      },
    }) as Server
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off('listening', onListening)
        const reason = error.code === 'EADDRINUSE' ? `port ${port} is already in use on ${host}` : error.message
        reject(new Error(`start: cannot listen on ${host}:${port}: ${reason}`, { cause: error }))
      }
      const onListening = () => {
        server.off('error', onError)
        resolve()
      }
      server.once('error', onError)
      server.once('listening', onListening)
      server.listen(port, host)
    })
    server.on('error', (error) => this.logger.error('server error', error))
    server.on('upgrade', this.#websockets.listener(this.fetch))
    this.#server = server
    this.#started = true
    for (const hooks of this.#lifecycle) await hooks.start?.()
    for (const route of this.#routes.routes) await this.#onRouteStart(route)
    const bound = (server.address() as AddressInfo).port
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
    return { port: bound, host, url: `http://${shownHost}:${bound}` }
  }

  /** Stops accepting connections, lets in-flight requests finish (up to shutdownTimeoutMs), then closes everything. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    this.#started = false
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      const tunnels = await this.#websockets.closeAll()
      if (tunnels > 0) this.logger.info(`stop: closed ${tunnels} WebSocket tunnel${tunnels === 1 ? '' : 's'}`)
      // A connection with a request in flight is not idle; once its response ends it is, and the next sweep closes it.
      server.closeIdleConnections()
      const sweep = setInterval(() => server.closeIdleConnections(), 10)
      let deadline: NodeJS.Timeout | undefined
      await Promise.race([
        closed,
        new Promise<void>((resolve) => (deadline = setTimeout(resolve, this.options.shutdownTimeoutMs ?? 10_000))),
      ])
      clearInterval(sweep)
      clearTimeout(deadline)
      server.closeAllConnections()
      this.#websockets.destroyPending()
      await closed
    }
    for (const route of this.#routes.routes) await this.#onRouteStop(route)
    for (const hooks of [...this.#lifecycle].reverse()) await hooks.stop?.()
    await this.#dispatcher.close().catch(() => {})
  }

  /** The JSON served at /_health. */
  health(): Record<string, unknown> {
    const routes = this.routeStatuses()
    const out: Record<string, unknown> = {
      status: routes.some((r) => r.healthyTargets === 0) ? 'degraded' : 'ok',
      uptime_seconds: Math.round((this.clock.now() - this.metrics.startedAt) / 1000),
      circuit_breakers: this.breakers.snapshot(),
      routes,
    }
    for (const [name, report] of this.#health) out[name] = report()
    return out
  }

  #createApp(): Hono {
    const app = new Hono()
    app.get('/_health', (c) => c.json(this.health()))
    app.get('/_metrics', (c) => c.json(this.metrics.snapshot()))
    app.get('/_metrics/prometheus', (c) => c.body(renderPrometheus(this.metrics), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }))
    const adminToken = this.options.adminToken
    if (adminToken) {
      app.route(
        '/_admin',
        adminApi({
          adminToken,
          logger: this.logger,
          apiKeys: this.apiKeyManager,
          clock: this.clock,
          validateRateLimit: (value) => this.validateRateLimit(value),
          isTier: (name) => this.isTier(name),
          setClientTier: (id, tier) => this.setClientTier(id, tier),
          listRoutes: () => this.routeStatuses(),
          circuitBreakers: () => this.breakers.snapshot(),
          purgeCache: (prefix) => this.purgeCache(prefix),
          drainTarget: (routeId, index, drain) => this.drainTarget(routeId, index, drain),
        }),
      )
    }
    const upstreams = (c: Context) => c.json(this.upstreamStatus())
    const presets = (c: Context) => c.json(listUpstreamPresets(this.options.upstreamPresets))
    if (adminToken) {
      app.get('/_upstreams', requireToken(adminToken), upstreams)
      app.get('/_upstreams/presets', requireToken(adminToken), presets)
    } else {
      app.get('/_upstreams', upstreams)
      app.get('/_upstreams/presets', presets)
    }
    // Reserved: without an admin token the admin API does not exist.
    app.all('/_admin', (c) => jsonError(c, 404, 'not_found', 'Not found'))
    app.all('/_admin/*', (c) => jsonError(c, 404, 'not_found', 'Not found'))
    app.all('*', this.#handle)
    app.onError((error, c) => (error instanceof GatewayError ? error.getResponse() : this.#internalError(c, error)))
    return app
  }

  #handle = async (c: Context): Promise<Response> => {
    const startTime = performance.now()
    const path = normalizePath(splitUrl(c.req.url).path)
    const route = this.#routes.match(path)
    const remote = incomingOf(c)?.socket.remoteAddress
    const peer = remote ? normalizeIp(remote) : '127.0.0.1'
    const xff = peerTrusted(peer, this.#trustProxy) ? requestHeader(c, 'x-forwarded-for') : undefined
    const clientIp = xff === undefined ? peer : resolveClientIp(peer, xff, this.#trustProxy)
    c.set('startTime', startTime)
    c.set('normalizedPath', path)
    c.set('peerIp', peer)
    c.set('clientIp', clientIp)
    c.set('clientId', clientIp)
    const compiled = route && this.#compiled(route)
    let response: Response
    try {
      if (!route || !compiled) {
        response = jsonError(c, 404, 'route_not_found', `No route matches ${path}`)
      } else {
        c.set('route', route)
        c.set('routeMetrics', compiled.metrics)
        response = await runPipeline(c, upgradeOf(c) ? compiled.upgradePipeline : compiled.pipeline, this.#forward)
      }
    } catch (error) {
      response = error instanceof GatewayError ? error.getResponse() : this.#internalError(c, error)
    }
    const durationMs = performance.now() - startTime
    this.metrics.recordRequest(compiled?.metrics, response.status, durationMs)
    if (this.#events.listenerCount('request') > 0) this.#emit(c, route, path, response.status, durationMs)
    return response
  }

  #internalError(c: Context, error: unknown): Response {
    return internalError(c, this.logger, error, { routeId: c.get('route')?.id, message: 'The gateway failed to handle the request' })
  }

  #emit(c: Context, route: Route | undefined, path: string, status: number, durationMs: number): void {
    const event: RequestEvent = {
      method: c.req.method,
      path,
      routeId: route?.id,
      status,
      durationMs,
      clientId: c.get('clientId'),
      upstream: c.get('upstreamTarget')?.origin,
      attempts: c.get('upstreamAttempts') ?? 0,
      error: c.get('gatewayError'),
    }
    try {
      this.#events.emit('request', event)
    } catch (error) {
      this.logger.error('a request listener threw:', error)
    }
  }

  #compiled(route: Route): CompiledRoute {
    let compiled = this.#pipelines.get(route)
    if (!compiled) {
      compiled = this.#compile(route)
      this.#pipelines.set(route, compiled)
    }
    return compiled
  }

  #compile(route: Route): CompiledRoute {
    const pipeline: MiddlewareHandler[] = [...this.#middleware]
    if (route.methods) pipeline.push(methodFilter(route))
    const upgradePipeline = [this.#websockets.gate(route), ...pipeline]
    for (const name of STAGE_ORDER) {
      const stage = this.#stages.get(name)?.(route)
      if (stage) pipeline.push(stage)
      // A tunnel is never a cacheable exchange.
      if (stage && name !== 'cache') upgradePipeline.push(stage)
    }
    return { pipeline, upgradePipeline, metrics: this.metrics.route(route.id) }
  }

  async #onRouteStart(route: Route): Promise<void> {
    route.pool.startHealthChecks({
      clock: this.clock,
      onChange: (target, healthy) => {
        // Passing active checks again is better evidence than a breaker still waiting out its recovery timeout.
        if (healthy) this.breakers.get(target.origin, route.options.circuitBreaker).reset()
        this.logger.warn(
          `route ${route.id}: target ${target.url.origin}${target.basePath} is ${healthy ? 'healthy again' : 'unhealthy'}${healthy ? '' : ` (${target.lastCheckError ?? 'failed checks'})`}`,
        )
      },
    })
  }

  async #onRouteStop(route: Route): Promise<void> {
    await route.pool.stopHealthChecks()
  }
}

const methodFilter = (route: Route): MiddlewareHandler =>
  async function methodFilter(c, next) {
    if (!route.methods!.has(c.req.method)) {
      return jsonError(c, 405, 'method_not_allowed', `${c.req.method} is not allowed on ${route.prefix}`, { Allow: route.allow })
    }
    await next()
  }
