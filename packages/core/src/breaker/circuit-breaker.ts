// Circuit breaker per upstream origin: CLOSED → OPEN → HALF_OPEN → CLOSED, with bounded half-open probes.
import { systemClock, type Clock } from '../clock.js'

export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold: number
  /** How long the circuit stays open before probes are let through, in ms. Default 60 000. */
  recoveryTimeoutMs: number
  /** Successful probes in HALF_OPEN that close it again. Default 3. */
  successThreshold: number
  /** Probe requests allowed in flight at once while HALF_OPEN. Default 1. */
  halfOpenMaxProbes: number
}

export const defaultCircuitBreakerOptions: CircuitBreakerOptions = {
  failureThreshold: 5,
  recoveryTimeoutMs: 60_000,
  successThreshold: 3,
  halfOpenMaxProbes: 1,
}

export interface CircuitSnapshot {
  state: CircuitState
  failures: number
  openedAt: number | undefined
  retryAfterMs: number
}

export class CircuitBreaker {
  readonly options: CircuitBreakerOptions
  #clock: Clock
  #state: CircuitState = 'CLOSED'
  #failures = 0
  #successes = 0
  #probes = 0
  #openedAt = 0
  /** Called on every state change: for logs, metrics and events. */
  onStateChange: ((from: CircuitState, to: CircuitState) => void) | undefined

  constructor(options: Partial<CircuitBreakerOptions> = {}, clock: Clock = systemClock) {
    this.options = { ...defaultCircuitBreakerOptions, ...options }
    this.#clock = clock
  }

  /** The state now; an OPEN circuit whose recovery timeout passed reads as HALF_OPEN. */
  get state(): CircuitState {
    if (this.#state === 'OPEN' && this.#clock.now() - this.#openedAt >= this.options.recoveryTimeoutMs) {
      this.#transition('HALF_OPEN')
    }
    return this.#state
  }

  /** Consecutive failures counted so far. */
  get failures(): number {
    return this.#failures
  }

  /** Whether a request may go now; in HALF_OPEN a granted probe must end with onSuccess, onFailure or release. */
  tryAcquire(): boolean {
    const state = this.state
    if (state === 'CLOSED') return true
    if (state === 'OPEN' || this.#probes >= this.options.halfOpenMaxProbes) return false
    this.#probes++
    return true
  }

  /** Whether tryAcquire would succeed, without taking a probe slot. */
  isAvailable(): boolean {
    const state = this.state
    return state === 'CLOSED' || (state === 'HALF_OPEN' && this.#probes < this.options.halfOpenMaxProbes)
  }

  onSuccess(): void {
    if (this.#state === 'HALF_OPEN') {
      this.#releaseProbe()
      if (++this.#successes >= this.options.successThreshold) this.#transition('CLOSED')
    } else {
      this.#failures = 0
    }
  }

  onFailure(): void {
    this.#failures++
    if (this.#state === 'HALF_OPEN') {
      this.#releaseProbe()
      this.#open()
    } else if (this.#state === 'CLOSED' && this.#failures >= this.options.failureThreshold) {
      this.#open()
    }
  }

  /** Ends a probe that neither succeeded nor failed (the client went away). */
  release(): void {
    if (this.#state === 'HALF_OPEN') this.#releaseProbe()
  }

  /** Closes the circuit now, e.g. when an active health check has seen the upstream recover. */
  reset(): void {
    this.#transition('CLOSED')
    this.#failures = 0
  }

  /** Ms until probes are let through (0 unless OPEN). */
  retryAfterMs(): number {
    if (this.state !== 'OPEN') return 0
    return Math.max(0, this.#openedAt + this.options.recoveryTimeoutMs - this.#clock.now())
  }

  snapshot(): CircuitSnapshot {
    const state = this.state
    return { state, failures: this.#failures, openedAt: state === 'CLOSED' ? undefined : this.#openedAt, retryAfterMs: this.retryAfterMs() }
  }

  #releaseProbe(): void {
    if (this.#probes > 0) this.#probes--
  }

  #open(): void {
    this.#openedAt = this.#clock.now()
    this.#transition('OPEN')
  }

  #transition(to: CircuitState): void {
    const from = this.#state
    if (from === to) return
    this.#state = to
    this.#successes = 0
    if (to === 'CLOSED') this.#failures = 0
    if (to !== 'HALF_OPEN') this.#probes = 0
    this.onStateChange?.(from, to)
  }
}

/** One breaker per upstream origin, created on first use with the options of the route that first used it. */
export class CircuitBreakerRegistry {
  readonly #breakers = new Map<string, CircuitBreaker>()
  #clock: Clock
  onStateChange: ((origin: string, from: CircuitState, to: CircuitState) => void) | undefined

  constructor(clock: Clock = systemClock) {
    this.#clock = clock
  }

  get(origin: string, options?: Partial<CircuitBreakerOptions>): CircuitBreaker {
    let breaker = this.#breakers.get(origin)
    if (!breaker) {
      breaker = new CircuitBreaker(options, this.#clock)
      breaker.onStateChange = (from, to) => this.onStateChange?.(origin, from, to)
      this.#breakers.set(origin, breaker)
    }
    return breaker
  }

  entries(): IterableIterator<[string, CircuitBreaker]> {
    return this.#breakers.entries()
  }

  snapshot(): Record<string, CircuitSnapshot> {
    const out: Record<string, CircuitSnapshot> = {}
    for (const [origin, breaker] of this.#breakers) out[origin] = breaker.snapshot()
    return out
  }
}
