// Active health checks for one pool: each target probed on its own jittered timer; thresholds flip `healthy`.
import { systemClock, type Clock } from '../clock.js'
import { createHTTPProbe, type HTTPProbe } from './http-probe.js'
import type { HealthProbe } from './probe.js'
import type { ResolvedHealthCheckOptions, UpstreamTarget } from './types.js'

export type { HealthProbe, ProbeRequest } from './probe.js'

export interface HealthCheckerOptions {
  /** Default: an undici GET that accepts 2xx/3xx (`createHTTPProbe`). Inject a fake to test the state machine. */
  probe?: HealthProbe
  /** Called when a target flips, e.g. to log it. Errors it throws are swallowed. */
  onChange?: (target: UpstreamTarget, healthy: boolean) => void
  /** Stamps `lastCheckAt`. Default: the system clock. */
  clock?: Clock
  /** Uniform [0, 1) source for jitter. Default Math.random. */
  random?: () => number
}

/** Share of the interval by which each delay is moved, either way, so gateway instances do not probe in lockstep. */
export const HEALTH_CHECK_JITTER = 0.1

interface TargetState {
  readonly target: UpstreamTarget
  readonly url: string
  successes: number
  failures: number
  timer: ReturnType<typeof setTimeout> | undefined
  timeout: ReturnType<typeof setTimeout> | undefined
  controller: AbortController | undefined
}

const reason = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}${cause}` : `${error.message}${cause}`
  }
  return String(error)
}

const unref = (timer: ReturnType<typeof setTimeout>): void => {
  // Fake timers may hand back objects without unref.
  if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref()
}

/**
 * Probes every target of a pool with GET `path` and keeps `target.healthy` up to date: `unhealthyThreshold`
 * consecutive failures take a target out, `healthyThreshold` consecutive successes bring it back. Probes of a
 * target start one jittered interval apart; the next is scheduled when the previous settles, so they never
 * overlap. A dead target is out within about unhealthyThreshold × intervalMs × 1.1 + timeoutMs. Health is per
 * gateway instance (as in Kong and Envoy): nothing is shared between gateways.
 * @example
 * const checker = new HealthChecker(pool.targets, pool.healthCheck!, { onChange: (t, ok) => log(t.origin, ok) })
 * checker.start()
 * await checker.stop()
 */
export class HealthChecker {
  readonly options: ResolvedHealthCheckOptions
  readonly #states: TargetState[]
  readonly #probe: HealthProbe | undefined
  readonly #onChange: ((target: UpstreamTarget, healthy: boolean) => void) | undefined
  readonly #clock: Clock
  readonly #random: () => number
  #ownProbe: HTTPProbe | undefined
  #running = false
  // Bumped by stop(): probes from an earlier run settle into nothing.
  #generation = 0

  constructor(targets: readonly UpstreamTarget[], options: ResolvedHealthCheckOptions, checker: HealthCheckerOptions = {}) {
    this.options = options
    this.#probe = checker.probe
    this.#onChange = checker.onChange
    this.#clock = checker.clock ?? systemClock
    this.#random = checker.random ?? Math.random
    this.#states = targets.map((target) => ({
      target,
      url: target.origin + options.path,
      successes: 0,
      failures: 0,
      timer: undefined,
      timeout: undefined,
      controller: undefined,
    }))
  }

  get running(): boolean {
    return this.#running
  }

  /** Schedules each target's first probe (one jittered interval from now). Idempotent. */
  start(): this {
    if (this.#running) return this
    this.#running = true
    for (const state of this.#states) {
      state.successes = 0
      state.failures = 0
      this.#schedule(state)
    }
    return this
  }

  /** Clears every timer, aborts probes in flight and closes the default probe's sockets. Targets keep their state. */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#generation++
    for (const state of this.#states) {
      clearTimeout(state.timer)
      clearTimeout(state.timeout)
      state.timer = undefined
      state.timeout = undefined
      state.controller?.abort(new Error('health checks stopped'))
      state.controller = undefined
    }
    const own = this.#ownProbe
    this.#ownProbe = undefined
    await own?.close()
  }

  #delay(): number {
    const { intervalMs } = this.options
    return Math.max(1, Math.round(intervalMs * (1 - HEALTH_CHECK_JITTER + 2 * HEALTH_CHECK_JITTER * this.#random())))
  }

  /** `elapsedMs`: how long the previous probe took, so probes start one interval apart (never overlapping). */
  #schedule(state: TargetState, elapsedMs = 0): void {
    state.timer = setTimeout(() => this.#run(state), Math.max(1, this.#delay() - elapsedMs))
    unref(state.timer)
  }

  #run(state: TargetState): void {
    state.timer = undefined
    const generation = this.#generation
    const startedAt = Date.now()
    const { timeoutMs } = this.options
    const controller = new AbortController()
    let settled = false
    const settle = (error: string | undefined): void => {
      if (settled) return
      settled = true
      clearTimeout(timeout)
      if (generation !== this.#generation) return
      state.timeout = undefined
      state.controller = undefined
      this.#record(state, error)
      this.#schedule(state, Date.now() - startedAt)
    }
    // Our own timer rather than AbortSignal.timeout, so fake timers drive it and a probe that ignores its
    // signal still counts as failed on time.
    const timeout = setTimeout(() => {
      settle(`timed out after ${timeoutMs} ms`)
      controller.abort(new Error(`health check timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    unref(timeout)
    state.timeout = timeout
    state.controller = controller
    let pending: Promise<void>
    try {
      pending = this.#probeFn()(state.target, { url: state.url, signal: controller.signal, timeoutMs })
    } catch (error) {
      pending = Promise.reject(error)
    }
    pending.then(
      () => settle(undefined),
      (error: unknown) => settle(reason(error)),
    )
  }

  #probeFn(): HealthProbe {
    if (this.#probe) return this.#probe
    return (this.#ownProbe ??= createHTTPProbe())
  }

  #record(state: TargetState, error: string | undefined): void {
    const { target } = state
    target.lastCheckAt = this.#clock.now()
    target.lastCheckError = error
    if (error === undefined) {
      state.failures = 0
      state.successes++
      if (!target.healthy && state.successes >= this.options.healthyThreshold) this.#flip(target, true)
    } else {
      state.successes = 0
      state.failures++
      if (target.healthy && state.failures >= this.options.unhealthyThreshold) this.#flip(target, false)
    }
  }

  #flip(target: UpstreamTarget, healthy: boolean): void {
    target.healthy = healthy
    try {
      this.#onChange?.(target, healthy)
    } catch {
      // A logging callback must not stop health checks.
    }
  }
}
