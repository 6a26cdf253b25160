// AIMD rate controller: finds an unknown upstream rate by additive increase and multiplicative decrease.

export interface AIMDOptions {
  /** Requests/s added after each successful interval with no throttle. Default 0.1. */
  increase: number
  /** Share of the rate cut on a throttle: rate × (1 − decrease). Default 0.5. */
  decrease: number
  /** Lowest rate, requests/s. Default 0.1. */
  minRate: number
  /** Highest rate, requests/s. Default 10. */
  maxRate: number
  /** Length of one successful interval, in ms. Default 1 000. */
  intervalMs: number
  /** Throttles within this many ms of a decrease belong to the same episode and do not cut again. Default 1 000. */
  episodeMs: number
  /** Until the first throttle, double the rate per successful interval instead of adding (TCP's slow start). Default true. */
  slowStart: boolean
  /**
   * Grow only after an interval in which what was sent (`onSent(units)`) used at least 80% of the rate, as TCP grows
   * its window only when the window was the limit (RFC 7661). Without it the rate climbs while demand, or a busy
   * machine, keeps the actual sending below it, and the first real burst then meets the upstream far too fast.
   * Default false (the governor turns it on).
   */
  growWhenUsedOnly: boolean
}

export const defaultAIMDOptions: AIMDOptions = {
  increase: 0.1,
  decrease: 0.5,
  minRate: 0.1,
  maxRate: 10,
  intervalMs: 1_000,
  episodeMs: 1_000,
  slowStart: true,
  growWhenUsedOnly: false,
}

/**
 * A pure, time-injected AIMD controller. Feed it every outcome with the time it happened.
 * @example
 * const aimd = new AIMDController({ maxRate: 20 })
 * aimd.onSuccess(now)   // may raise the rate once per interval
 * aimd.onThrottle(now)  // halves it, once per episode
 */
export class AIMDController {
  readonly options: AIMDOptions
  #rate: number
  #intervalStart: number | undefined
  #lastDecreaseAt = Number.NEGATIVE_INFINITY
  #throttles = 0
  #sentUnits = 0

  constructor(options: Partial<AIMDOptions> = {}, initialRate?: number) {
    this.options = { ...defaultAIMDOptions, ...options }
    this.#rate = clamp(initialRate ?? this.options.maxRate, this.options.minRate, this.options.maxRate)
  }

  /** The current rate, requests/s. */
  get rate(): number {
    return this.#rate
  }

  /** Throttles seen (every one, not only those that cut the rate). */
  get throttles(): number {
    return this.#throttles
  }

  /** Sets the rate (e.g. from a shared store), within bounds. */
  set rate(value: number) {
    this.#rate = clamp(value, this.options.minRate, this.options.maxRate)
  }

  /** `units` were sent under this rate. */
  onSent(units: number): void {
    this.#sentUnits += units
  }

  /** A successful response at `now`: after a full interval without throttles (and, if asked, used), add `increase`. */
  onSuccess(now: number): boolean {
    if (this.#intervalStart === undefined) {
      this.#intervalStart = now
      return false
    }
    const elapsed = now - this.#intervalStart
    if (elapsed < this.options.intervalMs) return false
    this.#intervalStart = now
    const used = this.#sentUnits >= (0.8 * this.#rate * elapsed) / 1_000
    this.#sentUnits = 0
    if (this.options.growWhenUsedOnly && !used) return false
    const grown = this.options.slowStart && this.#throttles === 0 ? this.#rate * 2 : this.#rate + this.options.increase
    const next = clamp(grown, this.options.minRate, this.options.maxRate)
    const changed = next !== this.#rate
    this.#rate = next
    return changed
  }

  /** A throttle at `now`: cut the rate unless this episode already did. Returns whether it cut. */
  onThrottle(now: number): boolean {
    this.#throttles++
    // A throttle restarts the success interval: the next increase needs a clean interval.
    this.#intervalStart = now
    this.#sentUnits = 0
    if (now - this.#lastDecreaseAt < this.options.episodeMs) return false
    this.#lastDecreaseAt = now
    this.#rate = clamp(this.#rate * (1 - this.options.decrease), this.options.minRate, this.options.maxRate)
    return true
  }
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value))
