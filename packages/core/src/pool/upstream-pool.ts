// A route's set of upstream targets and the balancer that spreads requests over the eligible ones.
import type { Clock } from '../clock.js'
import { HashBalancer } from './hash.js'
import { HealthChecker, type HealthCheckerOptions } from './health-checker.js'
import { LeastConnectionsBalancer } from './least-connections.js'
import { parseBalance, parseHashOn, parseTargets, resolveHealthCheck, toPoolSpec } from './pool-spec.js'
import { RandomBalancer } from './random.js'
import { RoundRobinBalancer } from './round-robin.js'
import type {
  Balancer,
  BalanceStrategy,
  PoolSpec,
  ResolvedHealthCheckOptions,
  TargetSnapshot,
  UpstreamSpec,
  UpstreamTarget,
} from './types.js'

export { toPoolSpec } from './pool-spec.js'

/** Balancer factories by strategy: one balancer per pool, since balancers keep per-pool state. */
export const balancers: Record<BalanceStrategy, (() => Balancer) | undefined> = {
  'round-robin': () => new RoundRobinBalancer(),
  'least-connections': () => new LeastConnectionsBalancer(),
  random: () => new RandomBalancer(),
  hash: () => new HashBalancer(),
}

const isClock = (value: HealthCheckerOptions | Clock): value is Clock => typeof (value as Partial<Clock>).now === 'function'

/**
 * The targets of one route and how requests are spread over them. The caller (the forwarder) decides which
 * targets are eligible and maintains `inFlight`/`requests`/`failures`; health checks maintain `healthy`.
 * @example
 * const pool = new UpstreamPool({ targets: [{ url: 'http://127.0.0.1:8003', weight: 3 }, 'http://127.0.0.1:8004'] })
 * const target = pool.pick((t) => t.healthy && !t.draining)
 */
export class UpstreamPool {
  readonly targets: readonly UpstreamTarget[]
  readonly strategy: BalanceStrategy
  /** Lower-cased header for `hash`; undefined → hash on the client IP. */
  readonly hashOn: string | undefined
  /** Active health-check options with defaults; undefined when the pool has none. */
  readonly healthCheck: ResolvedHealthCheckOptions | undefined
  readonly spec: PoolSpec
  readonly #balancer: Balancer
  #checker: HealthChecker | undefined

  constructor(upstream: UpstreamSpec) {
    const spec = toPoolSpec(upstream)
    this.spec = spec
    this.targets = Object.freeze(parseTargets(spec.targets))
    this.strategy = parseBalance(spec.balance)
    this.hashOn = parseHashOn(spec.hashOn)
    this.healthCheck = resolveHealthCheck(spec.healthCheck)
    const make = balancers[this.strategy]
    if (!make) throw new TypeError(`upstream.balance '${this.strategy}' has no registered balancer`)
    this.#balancer = make()
    this.#balancer.reset?.(this.targets)
  }

  /** Picks a target among those `eligible` accepts (healthy, not draining, breaker closed: the caller decides). */
  pick(eligible: (target: UpstreamTarget) => boolean, hashKey?: string): UpstreamTarget | undefined {
    return this.#balancer.pick(this.targets, eligible, hashKey)
  }

  /** Stops new requests reaching a target (in-flight ones finish), e.g. before a deploy. False for a bad index. */
  drain(index: number): boolean {
    const target = this.targets[index]
    if (!target) return false
    target.draining = true
    return true
  }

  /** Lets a drained target take requests again. False for a bad index. */
  undrain(index: number): boolean {
    const target = this.targets[index]
    if (!target) return false
    target.draining = false
    return true
  }

  /** Targets that can take new requests as far as the pool knows: healthy and not draining (breakers aside). */
  healthyCount(): number {
    let count = 0
    for (const target of this.targets) if (target.healthy && !target.draining) count++
    return count
  }

  /** Per-target state as plain JSON, for /_health, /_metrics and the admin API. */
  snapshot(): TargetSnapshot[] {
    return this.targets.map((t) => ({
      index: t.index,
      url: t.origin + t.basePath,
      weight: t.weight,
      healthy: t.healthy,
      draining: t.draining,
      inFlight: t.inFlight,
      requests: t.requests,
      failures: t.failures,
      lastCheckAt: t.lastCheckAt ?? null,
      lastCheckError: t.lastCheckError ?? null,
    }))
  }

  /** The running health checker, if any. */
  get healthChecker(): HealthChecker | undefined {
    return this.#checker
  }

  /**
   * Starts active health checks when the pool has `healthCheck` (otherwise does nothing and returns undefined).
   * Idempotent. Accepts a Clock for `lastCheckAt`, or full checker options (onChange for logs, a probe for tests).
   */
  startHealthChecks(options: HealthCheckerOptions | Clock = {}): HealthChecker | undefined {
    if (!this.healthCheck) return undefined
    if (!this.#checker) {
      this.#checker = new HealthChecker(this.targets, this.healthCheck, isClock(options) ? { clock: options } : options)
    }
    return this.#checker.start()
  }

  /** Stops health checks: timers cleared, probes aborted, probe sockets closed. Safe to call without checks. */
  async stopHealthChecks(): Promise<void> {
    const checker = this.#checker
    this.#checker = undefined
    await checker?.stop()
  }
}
