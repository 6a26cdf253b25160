// Puts a deadline and a failure policy around a RateLimitStore, so a sick Redis never stalls or 429s a request.
import { systemClock, type Clock } from '../../clock.js'
import { GatewayError, StoreUnavailableError } from '../../errors.js'
import type { LimitDecision, LimitEntry, LimitRule, RateLimitStore } from '../types.js'
import { callWhenReady, type StoreConnection } from './connection.js'
import { DEFAULT_STORE_TIMEOUT_MS, StoreTimeoutError, withStoreDeadline } from './deadline.js'
import { MemoryStore } from './memory-store.js'
import type { StoreLogger } from './store-error.js'

/** What to do when the store fails or times out: a local memory store answers, every request passes, or 503. */
export type StoreFailurePolicy = 'fallback' | 'allow' | 'deny'

export interface GuardedStoreOptions {
  /** Longest a decision may wait for the store (connecting included), in ms. Default DEFAULT_STORE_TIMEOUT_MS. */
  timeoutMs?: number
  /** Default `'fallback'`. `'deny'` rejects with a 503 `store_unavailable` GatewayError, never a 429. */
  onStoreFailure?: StoreFailurePolicy
  /** The local store used by `'fallback'`. Default: a new MemoryStore (100 000 keys). */
  fallback?: RateLimitStore
  /**
   * The store's connection (an ioredis client). When given: its loss (`close`) marks the store down at once, its
   * `ready` probes the store and brings it back up, and a decision made while it connects waits for it (within
   * `timeoutMs`). Without it, only failures and the probe timer change the status.
   */
  connection?: StoreConnection
  /** What a probe on `ready` runs (e.g. `() => redis.ping()`). Default: the client's own ready check is the probe. */
  probe?: () => Promise<unknown>
  /** While down, how often one request probes the real store, in ms. Default 1 000. */
  probeIntervalMs?: number
  /**
   * Timeouts and store errors mark the store down only when sustained: at least `tripMinFailures` (default 5) in
   * one `tripWindowMs` (default 1 000) that are at least `tripFailureRatio` (default 0.5) of its decisions. A few
   * late answers send only those decisions to the policy. A lost connection marks it down at once.
   */
  tripMinFailures?: number
  tripFailureRatio?: number
  tripWindowMs?: number
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

const positive = (name: string, value: number | undefined, fallback: number): number => {
  const chosen = value ?? fallback
  if (!Number.isFinite(chosen) || chosen <= 0) throw new TypeError(`${name} must be a positive number, got ${JSON.stringify(value)}`)
  return chosen
}

/**
 * Wraps a store with a deadline and a failure policy. The store is `down` after a lost connection or sustained
 * failures (timeouts, errors): requests then go to the policy at once (no waiting); the connection's `ready`, or one
 * request per `probeIntervalMs`, probes it and brings it back `up`. Outage and recovery are each logged once. A
 * late answer of a timed-out call is dropped (its consumption in Redis stays: a decision cannot be cancelled).
 * @example
 * const store = new GuardedStore(new RedisStore({ client }), { connection: client, onStoreFailure: 'fallback' })
 * store.health() // { status: 'up', since, failures: 0 }
 */
export class GuardedStore implements RateLimitStore {
  readonly timeoutMs: number
  readonly policy: StoreFailurePolicy
  readonly #inner: RateLimitStore
  readonly #fallback: RateLimitStore | undefined
  readonly #connection: StoreConnection | undefined
  readonly #probe: (() => Promise<unknown>) | undefined
  readonly #probeIntervalMs: number
  readonly #trip: { minFailures: number; ratio: number; windowMs: number }
  readonly #logger: StoreLogger
  readonly #clock: Clock
  readonly #name: string
  #status: 'up' | 'down' = 'up'
  #since: number
  #failures = 0
  #nextProbeAt = 0
  #probing = false
  #window = { start: 0, decisions: 0, failures: 0 }
  #fallbackDecisions = 0
  #allowedOnFailure = 0
  #deniedOnFailure = 0
  readonly #onClose = () => {
    // ioredis sets its next status before emitting: 'end' means a deliberate quit(), not an outage.
    if (this.#connection?.status !== 'end') this.#markDown('connection lost')
  }
  readonly #onReady = () => void this.#probeNow()

  constructor(inner: RateLimitStore, options: GuardedStoreOptions = {}) {
    this.#inner = inner
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULT_STORE_TIMEOUT_MS)
    this.policy = options.onStoreFailure ?? 'fallback'
    if (!['fallback', 'allow', 'deny'].includes(this.policy)) {
      throw new TypeError(`onStoreFailure must be 'fallback', 'allow' or 'deny', got ${JSON.stringify(this.policy)}`)
    }
    this.#clock = options.clock ?? systemClock
    this.#fallback = this.policy === 'fallback' ? (options.fallback ?? new MemoryStore({ clock: this.#clock })) : undefined
    this.#probeIntervalMs = positive('probeIntervalMs', options.probeIntervalMs, 1_000)
    this.#trip = {
      minFailures: positive('tripMinFailures', options.tripMinFailures, 5),
      ratio: Math.min(1, positive('tripFailureRatio', options.tripFailureRatio, 0.5)),
      windowMs: positive('tripWindowMs', options.tripWindowMs, 1_000),
    }
    this.#logger = options.logger ?? console
    this.#name = options.name ?? 'rate limit store'
    this.#since = this.#clock.now()
    this.#probe = options.probe
    this.#connection = options.connection
    this.#connection?.on('close', this.#onClose)
    this.#connection?.on('ready', this.#onReady)
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

  consumeMany(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    if (this.#status === 'down' || !this.#connected()) return this.#consumeSlow(entries)
    // The hot path (up and connected): one promise chain, no async frames, no wait for a connection.
    let call: Promise<LimitDecision>
    try {
      call = callMany(this.#inner, entries)
    } catch (error) {
      call = Promise.reject(error)
    }
    return withStoreDeadline(call, this.timeoutMs, this.#name).then(this.#answered, (error: unknown) => this.#failed(error, entries, false))
  }

  /** Down (probing or not) or connecting: what the policy says, a probe, or a call that waits for the connection. */
  async #consumeSlow(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    const probe = this.#status === 'down'
    if (probe) {
      const now = this.#clock.now()
      // While disconnected, the connection's 'ready' is the probe: nobody waits for a reconnect.
      if (!this.#connected() || this.#probing || now < this.#nextProbeAt) return this.#onFailure(entries)
      this.#probing = true
      this.#nextProbeAt = now + this.#probeIntervalMs
    }
    try {
      return this.#answered(await callWhenReady(this.#connection, () => callMany(this.#inner, entries), this.timeoutMs, this.#name))
    } catch (error) {
      return this.#failed(error, entries, probe)
    } finally {
      if (probe) this.#probing = false
    }
  }

  readonly #answered = (decision: LimitDecision): LimitDecision => {
    this.#count(false)
    // An answer sent before the connection dropped is no sign that it is back.
    if (this.#status === 'down' && this.#connected()) this.#markUp()
    return decision
  }

  #failed(error: unknown, entries: readonly LimitEntry[], probe: boolean): Promise<LimitDecision> {
    this.#failures++
    const lost = this.#connectionLost(error)
    if (lost || probe) this.#markDown(lost ? 'connection lost' : message(error))
    else if (this.#count(true)) {
      const what = error instanceof StoreTimeoutError ? 'timed out' : `failed (last: ${message(error)})`
      this.#markDown(`${this.#window.failures} of ${this.#window.decisions} decisions ${what}`)
    }
    return this.#onFailure(entries)
  }

  async reset(key: string): Promise<void> {
    await Promise.all([this.#inner.reset(key), this.#fallback?.reset(key)])
  }

  async close(): Promise<void> {
    this.#connection?.off('close', this.#onClose)
    this.#connection?.off('ready', this.#onReady)
    await Promise.all([this.#inner.close(), this.#fallback?.close()])
  }

  /** Counts a decision in the current trip window; true when its failures are now sustained. */
  #count(failed: boolean): boolean {
    const now = this.#clock.now()
    if (now - this.#window.start >= this.#trip.windowMs) this.#window = { start: now, decisions: 0, failures: 0 }
    this.#window.decisions++
    if (failed) this.#window.failures++
    return this.#window.failures >= this.#trip.minFailures && this.#window.failures >= this.#trip.ratio * this.#window.decisions
  }

  async #probeNow(): Promise<void> {
    if (this.#status === 'up' || this.#probing) return
    this.#probing = true
    try {
      if (this.#probe) await callWhenReady(this.#connection, this.#probe, this.timeoutMs, this.#name)
      this.#markUp()
    } catch {
      // Still down: the probe timer tries again.
    } finally {
      this.#probing = false
    }
  }

  #connected(): boolean {
    return this.#connection === undefined || this.#connection.status === 'ready'
  }

  /** Whether a call failed because the connection is gone (then no later call can succeed until it is back). */
  #connectionLost(error: unknown): boolean {
    if (error instanceof StoreTimeoutError) return false
    if (!this.#connected()) return true
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
      if (e instanceof StoreUnavailableError || CONNECTION_ERROR.test(e.message)) return true
    }
    return false
  }

  #markDown(why: string): void {
    if (this.#status === 'down') return
    this.#status = 'down'
    this.#since = this.#clock.now()
    this.#nextProbeAt = this.#since + this.#probeIntervalMs
    this.#logger.warn(`${this.#name} unavailable (${why}); policy '${this.policy}' applies until it recovers`)
  }

  #markUp(): void {
    if (this.#status === 'up') return
    const downMs = this.#clock.now() - this.#since
    this.#status = 'up'
    this.#since = this.#clock.now()
    this.#window = { start: this.#since, decisions: 0, failures: 0 }
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

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** What ioredis and Node say when the socket is gone (it can fail a call before the client's 'close' event). */
const CONNECTION_ERROR = /Stream isn't writeable|Connection is closed|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT/

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
