// UpstreamGovernor: spends one upstream credential's budget: fair queue, learned or adaptive rate, shared pause.
import { systemClock, type Clock } from '../clock.js'
import { DEFAULT_STORE_TIMEOUT_MS } from '../limiter/store/deadline.js'
import { budgetRate, type UpstreamBudget } from './budget.js'
import { AIMDController } from './aimd.js'
import { BudgetPacer } from './budget-pacer.js'
import { FairQueue, type QueueEntry } from './fair-queue.js'
import { parseThrottleHints, type HeadersLike } from './hints.js'
import { LearnedLimit } from './learned-limit.js'
import { paceRule, paceWindowMs, type PaceRule } from './pacing.js'
import { UpstreamQueueError } from './queue-error.js'
import { SharedUpstreamState } from './shared-state.js'
import type { AcquireOptions, ObserveResult, Permit, RateSource, UpstreamGovernorOptions, UpstreamStatus } from './types.js'

interface Waiter extends QueueEntry {
  resolve(permit: Permit): void
  reject(error: UpstreamQueueError): void
  settled: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

/**
 * Governs one upstream key. Requests `acquire()` a permit (queued fairly while the budget or a pause holds them),
 * and every upstream response is fed to `observe()` so the governor learns the limit and backs off.
 * @example
 * const governor = new UpstreamGovernor({ key: upstreamKey(origin, credentialKey(auth)), budget: { requestsPerSecond: 5 } })
 * await governor.acquire({ callerId: 'worker-1', signal })
 * const res = await fetch(url)
 * const { throttled, retryAfterMs } = governor.observe(res)
 */
export class UpstreamGovernor {
  readonly key: string
  readonly #o: Required<Pick<UpstreamGovernorOptions, 'fallback429Ms' | 'fallback503Ms' | 'maxFallbackMs' | 'jitter' | 'maxWaitMs'>>
  readonly #clock: Clock
  readonly #random: () => number
  readonly #retryOn: ReadonlySet<number>
  readonly #configuredRate: number | undefined
  readonly #budget: UpstreamBudget | undefined
  readonly #aimd: AIMDController
  readonly #queue: FairQueue<Waiter>
  readonly #pacer: BudgetPacer
  readonly #shared: boolean
  #rateSyncedAt: number
  /** Ms the budget held requests back since the shared AIMD rate was last told of a success. */
  #limitedMsSinceSync = 0
  #paceRule: PaceRule | undefined
  readonly #onError: ((error: Error) => void) | undefined

  #pausedUntil = 0
  #readyAt = 0
  #throttles = 0
  #consecutive = 0
  readonly #learned = new LearnedLimit()
  #head: Waiter | undefined
  #pumping = false
  #closed = false
  #sleepTimer: ReturnType<typeof setTimeout> | undefined
  #wake: (() => void) | undefined

  constructor(options: UpstreamGovernorOptions) {
    this.key = options.key
    this.#clock = options.clock ?? systemClock
    this.#rateSyncedAt = this.#clock.now()
    this.#random = options.random ?? Math.random
    this.#retryOn = new Set(options.retryOn ?? [429, 503])
    this.#o = {
      fallback429Ms: options.fallback429Ms ?? 1_000,
      fallback503Ms: options.fallback503Ms ?? 5_000,
      maxFallbackMs: options.maxFallbackMs ?? 60_000,
      jitter: options.jitter ?? 0.2,
      maxWaitMs: options.maxWaitMs ?? 60_000,
    }
    this.#configuredRate = budgetRate(options.budget)
    this.#budget = options.budget
    // Start low and let slow start find the rate: a first burst at maxRate would meet a wall of 429s.
    const adaptive = { growWhenUsedOnly: true, ...options.adaptive }
    this.#aimd = new AIMDController(adaptive, options.initialRatePerSecond ?? Math.max(adaptive.minRate ?? 0.1, 1))
    this.#queue = new FairQueue<Waiter>({
      ...(options.maxQueueLength !== undefined && { maxQueueLength: options.maxQueueLength }),
      ...(options.idleMs !== undefined && { idleMs: options.idleMs }),
      ...(options.fairShare !== undefined && { fairShare: options.fairShare }),
      ...(options.maxCallers !== undefined && { maxCallers: options.maxCallers }),
    })
    const tag = `${options.prefix ?? 'tollgate'}:upstream:{${options.key}}`
    const timeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
    const shared = options.redis ? new SharedUpstreamState(options.redis, tag, this.#aimd.options, this.#aimd.rate, timeoutMs) : undefined
    this.#shared = shared !== undefined
    this.#onError = options.onError
    this.#pacer = new BudgetPacer({
      shared,
      clock: this.#clock,
      ...(options.storeRetryMs !== undefined && { retryMs: options.storeRetryMs }),
      onError: (error) => this.#fault(error),
    })
  }

  /** The rate in force, requests/s, and where it comes from. */
  rate(_now: number = this.#clock.now()): { ratePerSecond: number; source: RateSource } {
    const learned = this.#learned.rate
    if (this.#configuredRate !== undefined && learned !== undefined) {
      return learned < this.#configuredRate
        ? { ratePerSecond: learned, source: 'learned' }
        : { ratePerSecond: this.#configuredRate, source: 'configured' }
    }
    if (this.#configuredRate !== undefined) return { ratePerSecond: this.#configuredRate, source: 'configured' }
    if (learned !== undefined) return { ratePerSecond: learned, source: 'learned' }
    return { ratePerSecond: this.#aimd.rate, source: 'adaptive' }
  }

  /** Epoch ms until which sending is paused (0 when not). */
  get pausedUntil(): number {
    return this.#pausedUntil
  }

  /** Milliseconds a new request of `cost` from `callerId` is predicted to wait. */
  predictWaitMs(callerId: string, cost = 1, weight = 1): number {
    const now = this.#clock.now()
    const units = this.#queue.unitsAhead(callerId, cost, weight) + (this.#head && !this.#head.settled ? this.#head.cost : 0)
    return this.#waitForUnits(units, cost, now)
  }

  /** Resolves when the request may be sent; rejects with UpstreamQueueError (timeout, full, aborted, closed). */
  acquire(options: AcquireOptions): Promise<Permit> {
    const now = this.#clock.now()
    const cost = options.cost ?? 1
    const weight = options.weight !== undefined && options.weight > 0 ? options.weight : 1
    const maxWaitMs = Math.min(this.#o.maxWaitMs, options.maxWaitMs ?? Number.POSITIVE_INFINITY)
    if (this.#closed) return Promise.reject(new UpstreamQueueError('closed', 0, 'The upstream governor is closed'))
    if (options.signal?.aborted) return Promise.reject(new UpstreamQueueError('aborted', 0, 'The client went away'))
    const predicted = this.predictWaitMs(options.callerId, cost, weight)
    const pauseMs = Math.max(0, this.#pausedUntil - now)
    if (predicted > maxWaitMs) {
      const retryAfterMs = Math.max(pauseMs, predicted - maxWaitMs)
      return Promise.reject(
        new UpstreamQueueError('queue_timeout', retryAfterMs, `Predicted wait ${Math.ceil(predicted)} ms exceeds ${maxWaitMs} ms`),
      )
    }
    if (this.#queue.full) {
      const retryAfterMs = Math.max(pauseMs, (cost / this.rate(now).ratePerSecond) * 1000)
      return Promise.reject(new UpstreamQueueError('queue_full', retryAfterMs, 'The upstream queue is full'))
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        callerId: options.callerId,
        cost,
        weight,
        enqueuedAt: now,
        resolve,
        reject,
        settled: false,
        timer: undefined,
        signal: options.signal,
        onAbort: undefined,
      }
      this.#queue.push(waiter)
      waiter.timer = setTimeout(() => this.#expire(waiter, maxWaitMs), Math.max(0, maxWaitMs))
      waiter.timer.unref?.()
      if (options.signal) {
        waiter.onAbort = () => this.#settle(waiter, new UpstreamQueueError('aborted', 0, 'The client went away'))
        options.signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.#pump()
    })
  }

  /**
   * Learns from one upstream response: throttles pause every sender (from the hint, else the fallback growing per
   * consecutive throttle, with jitter); `remaining: 0` pauses until the reset; limit figures set the learned rate.
   */
  observe(response: { status: number; headers: HeadersLike }): ObserveResult {
    const now = this.#clock.now()
    const hints = parseThrottleHints(response.status, response.headers, now)
    const throttled = this.#retryOn.has(response.status)
    if (throttled) {
      this.#throttles++
      // Throttles answered while a pause holds belong to the burst that caused it: one attempt, not several.
      if (now >= this.#pausedUntil) this.#consecutive++
      this.#aimd.onThrottle(now)
      let resumeAt = hints.resumeAt
      if (resumeAt === undefined) {
        const base = response.status === 503 ? this.#o.fallback503Ms : this.#o.fallback429Ms
        const delay = Math.min(this.#o.maxFallbackMs, base * 2 ** (this.#consecutive - 1))
        resumeAt = now + delay * (1 + this.#o.jitter * (2 * this.#random() - 1))
      }
      this.#pause(resumeAt, now)
    } else {
      if (response.status < 500) this.#consecutive = 0
      this.#aimd.onSuccess(now)
      if (hints.resumeAt !== undefined) this.#pause(hints.resumeAt, now)
    }
    const exhaustedUntil = this.#learned.observe(hints, now)
    if (exhaustedUntil !== undefined) this.#pause(exhaustedUntil, now)
    this.#syncRate(throttled, now)
    // The rate or pause may have changed: let a pump sleeping on the old figures look again.
    this.#wakeUp()
    return { throttled, retryAfterMs: Math.max(0, this.#pausedUntil - now), hints }
  }

  /** Figures for `GET /_upstreams` and metrics. */
  status(): UpstreamStatus {
    const now = this.#clock.now()
    const { ratePerSecond, source } = this.rate(now)
    return {
      key: this.key,
      ratePerSecond,
      rateSource: source,
      pausedUntil: this.#pausedUntil > now ? this.#pausedUntil : null,
      throttles: this.#throttles,
      queued: this.queued,
      callers: this.#queue.stats(now).map((caller) => ({ ...caller, ratePerSecond: caller.share * ratePerSecond })),
    }
  }

  /** Requests `callerId` has waiting here. */
  queuedOf(callerId: string): number {
    return this.#queue.queuedOf(callerId)
  }

  /** Requests waiting for a permit (O(1), unlike status()). */
  get queued(): number {
    return this.#queue.length + (this.#head && !this.#head.settled ? 1 : 0)
  }

  /** Callers tracked for shares and statistics (bounded by maxCallers). */
  get trackedCallers(): number {
    return this.#queue.trackedCallers
  }

  /** Whether the shared state in Redis is being skipped after a failure (local pacing). */
  get pacingLocally(): boolean {
    return this.#pacer.local
  }

  /** The caller's share (0..1) of the budget if it sent now. */
  shareOf(callerId: string, weight = 1): number {
    return this.#queue.shareOf(callerId, weight, this.#clock.now())
  }

  /** Clears timers and rejects every waiter. */
  close(): void {
    this.#closed = true
    const error = () => new UpstreamQueueError('closed', 0, 'The upstream governor is closed')
    if (this.#head) this.#settle(this.#head, error())
    for (const waiter of this.#queue.drain()) this.#settle(waiter, error())
    this.#wakeUp()
  }

  #waitForUnits(units: number, cost: number, now: number): number {
    const rule = this.#rule(now)
    const startAt = Math.max(now, this.#pausedUntil, this.#readyAt)
    return startAt - now + Math.max(0, units - cost) * (paceWindowMs(rule) / rule.burst)
  }

  #pause(until: number, now: number): void {
    if (until <= this.#pausedUntil || until <= now) return
    this.#pausedUntil = until
    this.#pacer.write((shared) => shared.extendPause(until - now))
  }

  /**
   * With Redis and no known limit, every instance moves one shared AIMD rate: throttles at once, successes once per
   * interval and only when this instance waited for the shared budget at least half of that time (its own sends
   * are only a part of the rate's use, so they cannot tell whether the rate was the limit).
   */
  #syncRate(throttled: boolean, now: number): void {
    if (!this.#shared || this.rate(now).source !== 'adaptive') return
    const elapsed = now - this.#rateSyncedAt
    if (!throttled && (elapsed < this.#aimd.options.intervalMs || this.#limitedMsSinceSync < Math.min(elapsed, 60_000) / 2)) return
    this.#rateSyncedAt = now
    this.#limitedMsSinceSync = 0
    this.#pacer.write(
      (shared) => shared.recordOutcome(throttled ? 'throttle' : 'success'),
      (rate) => {
        if (Number.isFinite(rate) && rate > 0) this.#aimd.rate = rate
      },
    )
  }

  /** The pace of the rate in force, recomputed only when the rate changes. */
  #rule(now: number): PaceRule {
    const { ratePerSecond, source } = this.rate(now)
    const cached = this.#paceRule
    if (cached && cached.intervalMs === 1_000 / ratePerSecond) return cached
    this.#paceRule = paceRule(ratePerSecond, this.#budget, source === 'configured', this.#shared)
    return this.#paceRule
  }

  #pump(): void {
    if (this.#pumping || this.#closed) return
    this.#pumping = true
    void this.#run()
      .catch((error: unknown) => this.#fault(error))
      .finally(() => {
        this.#pumping = false
        if (!this.#closed && this.#queue.length > 0) this.#pump()
      })
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const waiter = this.#head ?? this.#queue.next()
      this.#head = waiter
      if (!waiter) return
      if (waiter.settled) {
        this.#head = undefined
        continue
      }
      let now = this.#clock.now()
      if (this.#pausedUntil > now) {
        await this.#sleep(this.#pausedUntil - now)
        continue
      }
      // One call: the shared pause and the budget (one round trip to Redis, under its deadline).
      const rule = this.#rule(now)
      const verdict = await this.#pacer.take(rule, waiter.cost, waiter.callerId, this.#queue.othersQueued(waiter.callerId))
      now = this.#clock.now()
      if (verdict.pauseMs > 0) {
        this.#pausedUntil = Math.max(this.#pausedUntil, now + verdict.pauseMs)
        continue
      }
      if (verdict.waitMs > 0) {
        this.#readyAt = now + verdict.waitMs
        // Poll at least every second: the rate may rise (learning, AIMD) while we sleep.
        await this.#sleep(Math.min(verdict.waitMs, 1_000))
        const waited = this.#clock.now() - now
        this.#limitedMsSinceSync += waited
        continue
      }
      this.#head = undefined
      if (waiter.settled) continue // went away while we asked: the unit is spent, the next waiter goes on
      this.#grant(waiter, now)
    }
  }

  #grant(waiter: Waiter, now: number): void {
    this.#aimd.onSent(waiter.cost)
    const spentUntil = this.#learned.spend(waiter.cost, now)
    if (spentUntil !== undefined) this.#pause(spentUntil, now)
    const waitedMs = now - waiter.enqueuedAt
    this.#queue.recordServed(waiter.callerId, waitedMs, now)
    const permit: Permit = {
      callerId: waiter.callerId,
      waitedMs,
      share: this.#queue.shareOf(waiter.callerId, waiter.weight, now),
      ratePerSecond: this.rate(now).ratePerSecond,
    }
    this.#cleanup(waiter)
    waiter.resolve(permit)
  }

  #expire(waiter: Waiter, maxWaitMs: number): void {
    if (waiter.settled) return
    const now = this.#clock.now()
    const units = this.#head === waiter ? waiter.cost : this.#queue.unitsAheadOf(waiter)
    const retryAfterMs = this.#waitForUnits(units, waiter.cost, now)
    this.#settle(waiter, new UpstreamQueueError('queue_timeout', retryAfterMs, `Waited ${maxWaitMs} ms for the upstream's budget`))
  }

  #settle(waiter: Waiter, error: UpstreamQueueError): void {
    if (waiter.settled) return
    this.#queue.remove(waiter)
    this.#cleanup(waiter)
    waiter.reject(error)
  }

  #cleanup(waiter: Waiter): void {
    waiter.settled = true
    if (waiter.timer) clearTimeout(waiter.timer)
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort)
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
      this.#sleepTimer = setTimeout(() => this.#wakeUp(), Math.max(1, Math.ceil(ms)))
      this.#sleepTimer.unref?.()
    })
  }

  #wakeUp(): void {
    if (this.#sleepTimer) clearTimeout(this.#sleepTimer)
    this.#sleepTimer = undefined
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #fault(error: unknown): void {
    this.#onError?.(error instanceof Error ? error : new Error(String(error)))
  }
}
