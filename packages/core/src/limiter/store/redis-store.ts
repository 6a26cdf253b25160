// A RateLimitStore on Redis: one Lua script per decision (one round trip), exact across gateway instances.
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RateLimitAlgorithm, type LimitDecision, type LimitEntry, type LimitRule, type RateLimitStore } from '../types.js'
import { isClusterClient, scanEveryMaster, type ScanClient } from '../../redis/cluster.js'
import { CONSUME_SCRIPT } from './consume-script.js'
import { ScriptBatch, type BatchClient } from './script-batch.js'
import { StoreError } from './store-error.js'

/** The slice of ioredis the store uses (a Cluster client fits too: then `isCluster` is true and `nodes` lists its masters). */
export type RedisScriptClient = Pick<Redis, 'evalsha' | 'eval' | 'script' | 'scan' | 'del'> & Pick<ScanClient, 'isCluster' | 'nodes'>

export interface RedisStoreOptions {
  /** Shared client; see createRedisClient(). The store never closes it. */
  client: RedisScriptClient
  /** Key prefix: keys are `${prefix}:rl:{${key}}:${ruleIndex}` (or `…:{key}:${scope}:${ruleIndex}`). Default `tollgate`. */
  prefix?: string
}

const ALGORITHM_CODE: Record<RateLimitAlgorithm, string> = {
  [RateLimitAlgorithm.FIXED_WINDOW]: 'f',
  [RateLimitAlgorithm.SLIDING_WINDOW]: 's',
  [RateLimitAlgorithm.TOKEN_BUCKET]: 't',
}

/** SHA1 of the consume script, as SCRIPT LOAD returns it. */
export const CONSUME_SCRIPT_SHA = createHash('sha1').update(CONSUME_SCRIPT).digest('hex')

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOSCRIPT')

const storeError = (error: unknown): StoreError =>
  new StoreError(`rate limit store: ${error instanceof Error ? error.message : String(error)}`, { cause: error })

/** The script's reply `{ allowed, ruleIndex, limit, remaining, resetAt, retryAfterMs, windowMs }` as a decision. */
const toDecision = (reply: unknown): LimitDecision => {
  const r = reply as number[]
  return {
    allowed: r[0] === 1,
    ruleIndex: Number(r[1]),
    limit: Number(r[2]),
    remaining: Number(r[3]),
    resetAt: Number(r[4]),
    retryAfterMs: Number(r[5]),
    windowMs: Number(r[6]),
  }
}

/**
 * Redis-backed limits. Every decision is one EVALSHA of a script that reads the server's clock (`TIME`),
 * decides over all rules of all keys, writes each state with its TTL, or writes nothing when rejected.
 * The key's `{hash tag}` keeps every rule of a key (and, when the route and caller limits use the same key,
 * every key of a decision) in one Redis Cluster slot. On a cluster, a decision over entries with different keys (a
 * route limit keyed otherwise than the caller limit) runs one script per key, in order: all-or-nothing holds within
 * each key, and the first denial stops the rest. A flushed script cache is refilled transparently (EVAL on NOSCRIPT).
 * @example
 * const store = new RedisStore({ client: createRedisClient('redis://127.0.0.1:6379'), prefix: 'gw' })
 */
export class RedisStore implements RateLimitStore {
  readonly prefix: string
  readonly #client: RedisScriptClient
  /** On a cluster, keys with different hash tags are different slots, unless the prefix's own tag puts all in one. */
  readonly #slotPerKey: boolean
  /** One Redis (a cluster client writes to several sockets): the decisions of a loop turn share one socket write. */
  readonly #batch: ScriptBatch | undefined

  constructor(options: RedisStoreOptions) {
    this.#client = options.client
    this.prefix = options.prefix ?? 'tollgate'
    this.#slotPerKey = isClusterClient(options.client) && !/^[^{]*\{[^}]+\}/.test(this.prefix)
    this.#batch = isClusterClient(options.client) ? undefined : new ScriptBatch(options.client as BatchClient, CONSUME_SCRIPT_SHA)
  }

  /** The Redis key holding rule `ruleIndex` of `key` (in `scope`). */
  keyFor(key: string, ruleIndex: number, scope?: string): string {
    return scope === undefined ? `${this.prefix}:rl:{${key}}:${ruleIndex}` : `${this.prefix}:rl:{${key}}:${scope}:${ruleIndex}`
  }

  consume(key: string, rules: readonly LimitRule[], cost: number): Promise<LimitDecision> {
    return this.consumeMany([{ key, rules, cost }])
  }

  consumeMany(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    if (entries.length < 2 || !this.#slotPerKey || entries.every((entry) => entry.key === entries[0]!.key)) return this.#decide(entries)
    return this.#decideBySlot(entries)
  }

  async #decideBySlot(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    // Different hash tags are different slots: one script per key, as callMany does for a store without consumeMany.
    let last: LimitDecision | undefined
    let offset = 0
    const groups = new Map<string, LimitEntry[]>()
    for (const entry of entries) groups.set(entry.key, [...(groups.get(entry.key) ?? []), entry])
    for (const group of groups.values()) {
      const decision = await this.#decide(group)
      const shifted = { ...decision, ruleIndex: decision.ruleIndex < 0 ? -1 : decision.ruleIndex + offset }
      if (!decision.allowed) return shifted
      if (decision.ruleIndex >= 0 && (!last || decision.remaining < last.remaining)) last = shifted
      offset += group.reduce((rules, entry) => rules + entry.rules.length, 0)
    }
    return last ?? (await this.#decide([]))
  }

  #decide(entries: readonly LimitEntry[]): Promise<LimitDecision> {
    // EVALSHA's arguments after numkeys: the keys, then 5 per rule (see CONSUME_SCRIPT's header).
    const argv: (string | number)[] = []
    for (const entry of entries) for (let i = 0; i < entry.rules.length; i++) argv.push(this.keyFor(entry.key, i, entry.scope))
    const n = argv.length
    if (n === 0) return Promise.resolve({ allowed: true, limit: 0, remaining: 0, resetAt: Date.now(), retryAfterMs: 0, ruleIndex: -1 })
    for (const entry of entries) {
      for (const rule of entry.rules)
        argv.push(ALGORITHM_CODE[rule.algorithm], rule.limit, rule.windowMs, rule.burst ?? rule.limit, entry.cost)
    }
    try {
      const call = this.#batch ? this.#batch.evalsha(n, argv) : this.#client.evalsha(CONSUME_SCRIPT_SHA, n, ...argv)
      return call.then(toDecision, (error: unknown) => {
        // Script cache flushed (restart, SCRIPT FLUSH): EVAL runs it and caches it again in one round trip.
        if (!isNoScript(error)) throw storeError(error)
        return this.#client.eval(CONSUME_SCRIPT, n, ...argv).then(toDecision, (again: unknown) => {
          throw storeError(again)
        })
      })
    } catch (error) {
      return Promise.reject(storeError(error))
    }
  }

  /** Loads the script (SCRIPT LOAD) and returns its SHA; optional, the first decision loads it when needed. */
  async load(): Promise<string> {
    return (await this.#client.script('LOAD', CONSUME_SCRIPT)) as string
  }

  async reset(key: string): Promise<void> {
    const pattern = `${this.prefix}:rl:{${key.replace(/[*?[\]\\]/g, '\\$&')}}:*`
    // Every state of `key` shares its hash tag: one slot, so one DEL per batch is fine on a cluster too.
    await scanEveryMaster(this.#client, pattern, (found) => this.#client.del(...found))
  }

  /** The client is shared: closing the store leaves it open. */
  async close(): Promise<void> {}
}
