// Spends one upstream budget: shared through Redis when there is one (under the store deadline), else locally.
import type { Clock } from '../clock.js'
import { newPaceState, pace, recordSend, type PaceRule } from './pacing.js'
import type { SharedUpstreamState } from './shared-state.js'

export interface BudgetPacerOptions {
  /** The Redis side; absent → local pacing only. */
  shared: SharedUpstreamState | undefined
  clock: Clock
  /** After a Redis failure or timeout, pace locally this long before one call tries Redis again. Default 1 000 ms. */
  retryMs?: number
  /** Called once per outage (the first failure), not per call. */
  onError?: (error: Error) => void
}

/** Ms until the units may go (0: they went), and a shared pause in force (0 when none). */
export interface PaceVerdict {
  waitMs: number
  pauseMs: number
}

/**
 * Asks Redis (one script: pace + pause) while it answers within the store deadline; on an error or a timeout it
 * paces locally for `retryMs`, so a sick Redis costs at most one deadline per `retryMs`, never one per request.
 * The local state records every unit sent (also those Redis granted), so local pacing carries on where shared
 * pacing stopped. While local, each instance paces on its own: n instances may together send up to n × the budget.
 * @example
 * const pacer = new BudgetPacer({ shared, clock: systemClock })
 * const { waitMs, pauseMs } = await pacer.take(rule, 1, 'caller-a', false)
 */
export class BudgetPacer {
  readonly #local = newPaceState()
  readonly #shared: SharedUpstreamState | undefined
  readonly #clock: Clock
  readonly #retryMs: number
  readonly #onError: ((error: Error) => void) | undefined
  #downUntil = 0
  #down = false

  constructor(options: BudgetPacerOptions) {
    this.#shared = options.shared
    this.#clock = options.clock
    this.#retryMs = options.retryMs ?? 1_000
    this.#onError = options.onError
  }

  /** Whether Redis is being skipped after a failure. */
  get local(): boolean {
    return this.#shared === undefined || this.#down
  }

  async take(rule: PaceRule, cost: number, callerId: string, othersWaiting: boolean): Promise<PaceVerdict> {
    const shared = this.#usable()
    if (shared) {
      try {
        const verdict = await shared.pace(rule, cost, callerId, othersWaiting)
        this.#down = false
        if (verdict.sent) recordSend(this.#local, rule, cost, callerId, this.#clock.now())
        return { waitMs: verdict.sent ? 0 : verdict.waitMs, pauseMs: verdict.pauseMs }
      } catch (error) {
        this.fail(error)
      }
    }
    return { waitMs: pace(this.#local, rule, cost, callerId, this.#clock.now(), othersWaiting), pauseMs: 0 }
  }

  /**
   * Runs a write to the shared state (pause, AIMD) unless Redis is being skipped; its failure counts as an outage.
   * Never awaited by a request: the local state already holds what was written.
   */
  write<T>(call: (shared: SharedUpstreamState) => Promise<T>, onValue?: (value: T) => void): void {
    const shared = this.#usable()
    if (!shared) return
    call(shared).then(
      (value) => onValue?.(value),
      (error: unknown) => this.fail(error),
    )
  }

  /** Marks Redis as failing: local pacing for `retryMs`; reported once per outage. */
  fail(error: unknown): void {
    this.#downUntil = this.#clock.now() + this.#retryMs
    if (this.#down) return
    this.#down = true
    this.#onError?.(error instanceof Error ? error : new Error(String(error)))
  }

  #usable(): SharedUpstreamState | undefined {
    if (!this.#shared) return undefined
    return this.#down && this.#clock.now() < this.#downUntil ? undefined : this.#shared
  }
}
