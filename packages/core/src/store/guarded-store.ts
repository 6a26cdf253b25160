// Puts a deadline and a failure policy around a RateLimitStore, so a sick Redis never stalls or 429s a request.
import { GatewayError } from '../errors.js'
import { systemClock, type Clock } from '../clock.js'
import type { LimitDecision, LimitEntry, LimitRule, RateLimitStore } from '../limiter/types.js'
import { MemoryStore } from './memory-store.js'
import { StoreError, type StoreLogger } from './store-error.js'

/** What to do when the store fails or times out: a local memory store answers, every request passes, or 503. */
export type StoreFailurePolicy = 'fallback' | 'allow' | 'deny'

export interface GuardedStoreOptions {
  /** Longest a decision may wait for the store, in ms. Default 20. */
  timeoutMs?: number
  /** Default `'fallback'`. `'deny'` rejects with a 503 `store_unavailable` GatewayError, never a 429. */
  onStoreFailure?: StoreFailurePolicy
  /** The local store used by `'fallback'`. Default: a new MemoryStore (100 000 keys). */
  fallback?: RateLimitStore
  /** While down, how often one request probes the real store, in ms. Default 1 000. */
  probeIntervalMs?: number
  /**
   * Consecutive timeouts that mark the store down. Default 3: one late answer under a burst only sends that
   * decision to the policy, instead of switching the whole instance to local limits. Errors mark it down at once.
   */
  tripAfterTimeouts?: number
  logger?: StoreLogger
  clock?: Clock
  /** A name for logs. Default `'rate limit store'`. */
  name?: string
}

export interface StoreHealth {
  status: 'up' | 'down'
  /** Epoch ms of the last change of status (construction time at first). */
  since: number
  /** Store failures (errors and timeouts) since construction. */
  failures: number
}

export interface GuardedStoreStats extends StoreHealth {
  /** Decisions answered by the fallback store, let through by `allow`, or refused by `deny`. */
  fallbackDecisions: number
  allowedOnFailure: number
  deniedOnFailure: number
}

class StoreTimeoutError extends StoreError {}

/**
 * Wraps a store with a deadline and a failure policy. After a failure the store is `down`: requests go to the
 * policy at once (no waiting), and one request per `probeIntervalMs` tries the real store; its success brings
 * the store back `up`. Outage and recovery are each logged once. A late answer of a timed-out call is dropped
 * (its consumption in Redis stays: a decision cannot be cancelled in flight).
 * @example
 * const store = new GuardedStore(new RedisStore({ client }), { timeoutMs: 20, onStoreFailure: 'fallback' })
 * store.health() // { status: 'up', since, failures: 0 }
 */
export class GuardedStore implements RateLimitStore {
  readonly timeoutMs: number
  readonly policy: StoreFailurePolicy
  readonly #inner: RateLimitStore
  readonly #fallback: RateLimitStore | undefined
  readonly #probeIntervalMs: number
  readonly #logger: StoreLogger
  readonly #clock: Clock
  readonly #name: string
  #status: 'up' | 'down' = 'up'
  #since: number
  #failures = 0
  #nextProbeAt = 0
  #probing = false
  #consecutiveTimeouts = 0
  readonly #tripAfterTimeouts: number
  #fallbackDecisions = 0
  #allowedOnFailure = 0
  #deniedOnFailure = 0

  constructor(inner: RateLimitStore, options: GuardedStoreOptions = {}) {
    this.#inner = inner
    this.timeoutMs = options.timeoutMs ?? 20
    this.policy = options.onStoreFailure ?? 'fallback'
    if (!['fallback', 'allow', 'deny'].includes(this.policy)) {
      throw new TypeError(`onStoreFailure must be 'fallback', 'allow' or 'deny', got ${JSON.stringify(this.policy)}`)
    }
    this.#clock = options.clock ?? systemClock
    this.#fallback = this.policy === 'fallback' ? (options.fallback ?? new MemoryStore({ clock: this.#clock })) : undefined
    this.#probeIntervalMs = options.probeIntervalMs ?? 1_000
    this.#tripAfterTimeouts = Math.max(1, options.tripAfterTimeouts ?? 3)
    this.#logger = options.logger ?? console
    this.#name = options.name ?? 'rate limit store'
    this.#since = this.#clock.now()
  }

  health(): StoreHealth {
    return { status: this.#status, since: this.#since, failures: this.#failures }
  }

  stats(): GuardedStoreStats {
    return {
      ...this.health(),
      fallbackDecisions: this.#fallbackDecisions,
      allowedOnFailure: this.#allowedOnFailure,
      deniedOnFailure: this.#deniedOnFailure,
    }
  }

  consume(key: string, rules: readonly LimitRule[], cost: number): Promise<LimitDecision> {
    return this.consumeMany([{ key, rules, cost }])
  }

  async consumeMany(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    if (this.#status === 'down') {
      const now = this.#clock.now()
      if (this.#probing || now < this.#nextProbeAt) return this.#onFailure(entries)
      this.#probing = true
      this.#nextProbeAt = now + this.#probeIntervalMs
    }
    const probe = this.#status === 'down'
    try {
      const decision = await this.#withDeadline(callMany(this.#inner, entries))
      this.#consecutiveTimeouts = 0
      if (this.#status === 'down') this.#markUp()
      return decision
    } catch (error) {
      const timedOut = error instanceof StoreTimeoutError
      if (timedOut && !probe && ++this.#consecutiveTimeouts < this.#tripAfterTimeouts) this.#failures++
      else this.#markDown(error)
      return this.#onFailure(entries)
    } finally {
      if (probe) this.#probing = false
    }
  }

  async reset(key: string): Promise<void> {
    await Promise.all([this.#inner.reset(key), this.#fallback?.reset(key)])
  }

  async close(): Promise<void> {
    await Promise.all([this.#inner.close(), this.#fallback?.close()])
  }

  #withDeadline<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreTimeoutError(`${this.#name} did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      )
      promise.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }

  #markDown(error: unknown): void {
    this.#failures++
    if (this.#status === 'down') return
    this.#status = 'down'
    this.#since = this.#clock.now()
    this.#nextProbeAt = this.#since + this.#probeIntervalMs
    const reason = error instanceof Error ? error.message : String(error)
    this.#logger.warn(`${this.#name} unavailable (${reason}); policy '${this.policy}' applies until it recovers`)
  }

  #markUp(): void {
    const downMs = this.#clock.now() - this.#since
    this.#status = 'up'
    this.#since = this.#clock.now()
    this.#logger.info(`${this.#name} available again after ${downMs} ms (${this.#failures} failures so far)`)
  }

  async #onFailure(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    if (this.policy === 'fallback') {
      this.#fallbackDecisions++
      const decision = await callMany(this.#fallback!, entries)
      return { ...decision, degraded: 'fallback' }
    }
    if (this.policy === 'allow') {
      this.#allowedOnFailure++
      return { allowed: true, limit: 0, remaining: 0, resetAt: this.#clock.now(), retryAfterMs: 0, ruleIndex: -1, degraded: 'allow' }
    }
    this.#deniedOnFailure++
    throw new GatewayError(503, 'store_unavailable', 'Rate limit store unavailable; try again shortly', { headers: { 'retry-after': '1' } })
  }
}

/**
 * One atomic decision over several entries on any store: `consumeMany` when the store has it, `consume` for
 * a single entry; a store with neither cannot be atomic over several keys, so it is asked key by key.
 */
export const callMany = (store: RateLimitStore, entries: readonly LimitEntry[]): Promise<LimitDecision> => {
  if (store.consumeMany) return store.consumeMany(entries)
  if (entries.length === 1) return store.consume(entries[0]!.key, entries[0]!.rules, entries[0]!.cost)
  return sequential(store, entries)
}

const sequential = async (store: RateLimitStore, entries: readonly LimitEntry[]): Promise<LimitDecision> => {
  let last: LimitDecision | undefined
  let offset = 0
  for (const entry of entries) {
    const decision = await store.consume(entry.key, entry.rules, entry.cost)
    if (!decision.allowed) return { ...decision, ruleIndex: decision.ruleIndex + offset }
    if (!last || decision.remaining < last.remaining) last = { ...decision, ruleIndex: decision.ruleIndex + offset }
    offset += entry.rules.length
  }
  return last ?? { allowed: true, limit: 0, remaining: 0, resetAt: Date.now(), retryAfterMs: 0, ruleIndex: -1 }
}
