// When the cluster primary restarts a crashed worker, and when it gives up on one that keeps crashing at boot.

export interface RestartPolicyOptions {
  /** A worker that exits within this many ms of being forked crashed "fast". Default 10 000. */
  fastCrashMs?: number
  /** Fast crashes in a row (per worker slot) after which the primary gives up. Default 5. */
  maxFastCrashes?: number
  /** Delay before the first restart, doubled for each fast crash in a row. Default 100. */
  baseDelayMs?: number
  /** Longest delay between restarts. Default 5 000. */
  maxDelayMs?: number
}

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; fastCrashes: number }

/**
 * Backoff per worker slot: a worker that ran past `fastCrashMs` is restarted after `baseDelayMs` and its count starts
 * over; each fast crash in a row doubles the delay, and `maxFastCrashes` of them stop the restarts (a worker that
 * cannot boot — a port taken, a broken upstream preset — must not loop forever).
 * @example
 * const policy = new RestartPolicy()
 * const decision = policy.onExit(0, uptimeMs)
 * if (decision.restart) setTimeout(() => fork(0), decision.delayMs)
 */
export class RestartPolicy {
  readonly fastCrashMs: number
  readonly maxFastCrashes: number
  readonly #baseDelayMs: number
  readonly #maxDelayMs: number
  readonly #fastCrashes = new Map<number, number>()

  constructor(options: RestartPolicyOptions = {}) {
    this.fastCrashMs = options.fastCrashMs ?? 10_000
    this.maxFastCrashes = options.maxFastCrashes ?? 5
    this.#baseDelayMs = options.baseDelayMs ?? 100
    this.#maxDelayMs = options.maxDelayMs ?? 5_000
  }

  /** What to do after the worker in `slot` exited unexpectedly, `uptimeMs` after it was forked. */
  onExit(slot: number, uptimeMs: number): RestartDecision {
    const fastCrashes = uptimeMs < this.fastCrashMs ? (this.#fastCrashes.get(slot) ?? 0) + 1 : 0
    this.#fastCrashes.set(slot, fastCrashes)
    if (fastCrashes >= this.maxFastCrashes) return { restart: false, fastCrashes }
    const delayMs = Math.min(this.#baseDelayMs * 2 ** Math.max(0, fastCrashes - 1), this.#maxDelayMs)
    return { restart: true, delayMs }
  }
}
