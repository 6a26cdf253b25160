// An in-process RateLimitStore: the pure algorithms over a bounded LRU map, one entry per key and scope.
import { LRUCache } from 'lru-cache'
import { systemClock, type Clock } from '../../clock.js'
import { applyRule, compose, decisionOf, type RuleInput } from '../algorithms/compose.js'
import type { RuleState } from '../algorithms/types.js'
import type { LimitDecision, LimitEntry, LimitRule, RateLimitStore } from '../types.js'

export interface MemoryStoreOptions {
  /**
   * Most keys (key × scope) held at once; the least recently used go first. Default 100 000 (roughly
   * 200–300 bytes each with one rule: ~25 MB at the bound). This is the store's hard bound.
   */
  maxKeys?: number
  /** Time source (fake timers in tests). Default: Date.now(). */
  clock?: Clock
  /**
   * How often expired keys are swept, in ms: a decision that finds the last sweep older than this sweeps first
   * (no timers). 0 = never (expired keys still go when the LRU needs room). Default 60 000.
   */
  purgeIntervalMs?: number
}

/** A key's rule states and when they all stop mattering (after the longest window, or a full bucket). */
interface Slot {
  states: (RuleState | undefined)[]
  expiresAt: number
}

const storageKey = (key: string, scope: string | undefined): string => (scope === undefined ? key : `${scope}\u0000${key}`)

/**
 * A bounded in-memory store: at most `maxKeys` entries (LRU), each forgotten once idle past its TTL (its last
 * window, or the time to refill its bucket), swept every `purgeIntervalMs`; it creates no timers. Decisions are synchronous inside:
 * no await between a read and its write.
 * @example
 * const store = new MemoryStore({ maxKeys: 50_000 })
 * const decision = await store.consume('client-1', [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 10, windowMs: 1000 }], 1)
 */
export class MemoryStore implements RateLimitStore {
  readonly maxKeys: number
  readonly #clock: Clock
  readonly #cache: LRUCache<string, Slot>
  readonly #purgeIntervalMs: number
  #lastPurge: number

  constructor(options: MemoryStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new TypeError('MemoryStore: maxKeys must be a positive integer')
    this.#clock = options.clock ?? systemClock
    this.#cache = new LRUCache({ max: this.maxKeys })
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000
    this.#lastPurge = this.#clock.now()
  }

  /** Number of keys held now (expired ones included until swept or evicted). */
  get size(): number {
    return this.#cache.size
  }

  /** Drops every expired key now; returns how many went. */
  purgeStale(): number {
    const now = this.#clock.now()
    this.#lastPurge = now
    let dropped = 0
    for (const [key, slot] of this.#cache.entries()) {
      if (slot.expiresAt <= now) {
        this.#cache.delete(key)
        dropped++
      }
    }
    return dropped
  }

  consume(key: string, rules: readonly LimitRule[], cost: number): Promise<LimitDecision> {
    return Promise.resolve(rules.length === 1 ? this.#one(key, undefined, rules[0]!, cost) : this.consumeSync([{ key, rules, cost }]))
  }

  consumeMany(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    return Promise.resolve(this.consumeSync(entries))
  }

  /** The decision without a promise (for in-process callers and benchmarks). */
  consumeSync(entries: readonly LimitEntry[]): LimitDecision {
    if (entries.length === 1 && entries[0]!.rules.length === 1) {
      const entry = entries[0]!
      return this.#one(entry.key, entry.scope, entry.rules[0]!, entry.cost)
    }
    const now = Math.floor(this.#clock.now())
    const inputs: RuleInput[] = []
    const slots: (Slot | undefined)[] = []
    for (const entry of entries) {
      const slot = this.#slot(storageKey(entry.key, entry.scope), now)
      slots.push(slot)
      const live = slot !== undefined && slot.expiresAt > now
      for (let i = 0; i < entry.rules.length; i++)
        inputs.push({ rule: entry.rules[i]!, state: live ? slot.states[i] : undefined, cost: entry.cost })
    }
    const { decision, outcomes } = compose(inputs, now)
    let at = 0
    for (let e = 0; e < entries.length; e++) {
      const entry = entries[e]!
      const slot = slots[e]
      if (!decision.allowed) {
        if (slot !== undefined && slot.expiresAt <= now) this.#cache.delete(storageKey(entry.key, entry.scope))
        continue
      }
      const states: RuleState[] = []
      let ttl = 1
      for (let i = 0; i < entry.rules.length; i++, at++) {
        const outcome = outcomes[at]!
        states.push(outcome.state)
        if (outcome.ttlMs > ttl) ttl = outcome.ttlMs
      }
      if (slot) {
        // An expired slot is reused as it is: no delete and re-insert when a quiet caller comes back.
        slot.states = states
        slot.expiresAt = now + ttl
      } else {
        this.#cache.set(storageKey(entry.key, entry.scope), { states, expiresAt: now + ttl })
      }
    }
    return decision
  }

  /** The common case, one key and one rule, without intermediate arrays. */
  #one(key: string, scope: string | undefined, rule: LimitRule, cost: number): LimitDecision {
    const now = Math.floor(this.#clock.now())
    const k = storageKey(key, scope)
    const slot = this.#slot(k, now)
    const live = slot !== undefined && slot.expiresAt > now
    const outcome = applyRule(rule, live ? slot.states[0] : undefined, cost, now)
    if (outcome.allowed) {
      if (slot) {
        // An expired slot (a bucket refilled since the caller's last request) is reused, not deleted and re-inserted.
        slot.states[0] = outcome.state
        slot.states.length = 1
        slot.expiresAt = now + outcome.ttlMs
      } else {
        this.#cache.set(k, { states: [outcome.state], expiresAt: now + outcome.ttlMs })
      }
    } else if (slot !== undefined && !live) this.#cache.delete(k)
    return decisionOf(rule, outcome, 0)
  }

  /** The slot of a key, expired or not (the caller checks `expiresAt`). Refreshes its LRU recency. */
  #slot(k: string, now: number): Slot | undefined {
    if (this.#purgeIntervalMs > 0 && now - this.#lastPurge >= this.#purgeIntervalMs) this.purgeStale()
    return this.#cache.get(k)
  }

  async reset(key: string): Promise<void> {
    this.#cache.delete(key)
    const suffix = `\u0000${key}`
    for (const k of this.#cache.keys()) if (k.endsWith(suffix)) this.#cache.delete(k)
  }

  async close(): Promise<void> {
    this.#cache.clear()
  }
}
