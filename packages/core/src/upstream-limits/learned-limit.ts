// What the upstream told us about its budget: a pacing rate and the units left until its reset.
import type { ThrottleHints } from './hints.js'

/**
 * Keeps the gateway's view of the upstream's remaining budget in step with its headers: the rate spends what is left
 * evenly over what is left of the window, and `spend()` counts down locally between responses, so in-flight requests
 * cannot overshoot a budget that is almost gone. Pure: time comes in as arguments.
 */
export class LearnedLimit {
  #rate: number | undefined
  #remaining = 0
  #resetAt = 0

  /** The learned rate, requests/s; it outlives its window (the last thing the upstream said beats a guess). */
  get rate(): number | undefined {
    return this.#rate
  }

  /** Learns from one response's hints; returns the epoch ms to pause until when the budget is spent. */
  observe(hints: ThrottleHints, now: number): number | undefined {
    if (hints.remaining === undefined || hints.resetAt === undefined || hints.resetAt <= now) return undefined
    // Responses of one window arrive out of order: keep the lowest remaining seen for that window.
    const sameWindow = this.#rate !== undefined && Math.abs(this.#resetAt - hints.resetAt) < 1_000
    this.#remaining = sameWindow ? Math.min(this.#remaining, hints.remaining) : hints.remaining
    this.#resetAt = sameWindow ? Math.max(this.#resetAt, hints.resetAt) : hints.resetAt
    if (this.#remaining <= 0) return this.#resetAt
    this.#rate = Math.max(0.001, this.#remaining / ((this.#resetAt - now) / 1000))
    return undefined
  }

  /** Counts `cost` units sent; returns the epoch ms to pause until when that spent the window's budget. */
  spend(cost: number, now: number): number | undefined {
    if (this.#rate === undefined || this.#resetAt <= now) return undefined
    this.#remaining -= cost
    return this.#remaining <= 0 ? this.#resetAt : undefined
  }
}
