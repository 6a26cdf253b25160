// Each route's pipeline, built once and cached: custom middleware, the method filter, the capabilities' stages in
// order, and the route's last step (a capability's terminal, else the forward).
import type { MiddlewareHandler } from 'hono'
import type { StageFactory, StageName, Terminal, TerminalFactory } from '../host.js'
import type { GatewayMetrics, RouteMetrics } from '../metrics/gateway-metrics.js'
import type { Route } from '../routing/route.js'
import { methodFilter } from '../server/request-context.js'

/** What the hot path needs per route, built once: its middleware chain, its last step and its metrics handle. */
export interface CompiledRoute {
  pipeline: readonly MiddlewareHandler[]
  /** For `Upgrade` requests: the upgrade gate, then the same stages without the cache (a tunnel is never cached). */
  upgradePipeline: readonly MiddlewareHandler[]
  terminal: Terminal
  metrics: RouteMetrics
  /** Nothing after the forward looks at the Response: the forwarder may write the upstream's answer to the socket. */
  directWrite: boolean
}

/**
 * Stages that never read the answer after `await next()`: auth decides before forwarding; the rate limit hands its
 * headers over before (addAnswerHeaders); the cache stage turns `directWrite` off before a miss's next() (it stores
 * the answer) and writes its hits to the socket itself.
 */
const RESPONSE_BLIND: ReadonlySet<StageName> = new Set(['auth', 'rateLimit', 'cache'])

export class RoutePipelines {
  readonly #middleware: MiddlewareHandler[] = []
  readonly #stages = new Map<StageName, StageFactory>()
  readonly #terminals: TerminalFactory[] = []
  #compiled = new WeakMap<Route, CompiledRoute>()
  readonly #stageOrder: readonly StageName[]
  readonly #forward: Terminal
  readonly #metrics: GatewayMetrics
  readonly #upgradeGate: (route: Route) => MiddlewareHandler

  /**
   * @param stageOrder the stage slots in the order they run
   * @param forward the last step of routes no terminal factory claims
   * @param upgradeGate the first stage of an Upgrade request (refuses what the route cannot tunnel)
   */
  constructor(
    stageOrder: readonly StageName[],
    forward: Terminal,
    metrics: GatewayMetrics,
    upgradeGate: (route: Route) => MiddlewareHandler,
  ) {
    this.#stageOrder = stageOrder
    this.#forward = forward
    this.#metrics = metrics
    this.#upgradeGate = upgradeGate
  }

  addMiddleware(middleware: MiddlewareHandler): void {
    this.#middleware.push(middleware)
    this.#compiled = new WeakMap()
  }

  setStage(name: StageName, factory: StageFactory): void {
    this.#stages.set(name, factory)
    this.#compiled = new WeakMap()
  }

  addTerminal(factory: TerminalFactory): void {
    this.#terminals.push(factory)
    this.#compiled = new WeakMap()
  }

  /** Builds the route's pipeline now (a capability's config error surfaces here) and keeps it. */
  compile(route: Route): CompiledRoute {
    const used: StageName[] = []
    const terminal = this.#terminalOf(route)
    const compiled = {
      pipeline: this.#stagesOf(route, undefined, used),
      upgradePipeline: [this.#upgradeGate(route), ...this.#stagesOf(route, 'cache')],
      terminal,
      metrics: this.#metrics.route(route.id),
      directWrite: this.#middleware.length === 0 && terminal === this.#forward && used.every((name) => RESPONSE_BLIND.has(name)),
    }
    this.#compiled.set(route, compiled)
    return compiled
  }

  /** The route's pipeline, built on first use after a change. */
  of(route: Route): CompiledRoute {
    return this.#compiled.get(route) ?? this.compile(route)
  }

  /** The route's last step, chosen once: a capability's (the governed forward of an upstream limit) or the forward. */
  #terminalOf(route: Route): Terminal {
    for (const factory of this.#terminals) {
      const terminal = factory(route)
      if (terminal) return terminal
    }
    return this.#forward
  }

  /** The route's handlers in order; the names of the stages it got are pushed to `used`. */
  #stagesOf(route: Route, without?: StageName, used: StageName[] = []): readonly MiddlewareHandler[] {
    const stages: MiddlewareHandler[] = [...this.#middleware]
    if (route.methods) stages.push(methodFilter(route))
    for (const name of this.#stageOrder) {
      if (name === without) continue
      const stage = this.#stages.get(name)?.(route)
      if (stage) {
        stages.push(stage)
        used.push(name)
      }
    }
    return stages
  }
}
