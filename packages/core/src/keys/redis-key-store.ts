// Key store in Redis, shared by gateway instances: one hash per key plus a set of ids for listing (one server or a cluster).
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { StoreUnavailableError } from '../errors.js'
import { callWhenReady, isStoreConnection, type StoreConnection } from '../limiter/store/connection.js'
import { DEFAULT_STORE_TIMEOUT_MS, StoreTimeoutError } from '../limiter/store/deadline.js'
import { isClusterClient, misconfiguration } from '../redis/cluster.js'
import type { APIKeyPatch, APIKeyRecord, APIKeyStore } from './types.js'

/** The commands the store uses, so any ioredis-compatible client (or Cluster) fits. */
export type KeyStoreRedisClient = Pick<Redis, 'evalsha' | 'eval' | 'hgetall' | 'smembers' | 'srem' | 'sadd'> & {
  readonly isCluster?: boolean
}

export interface RedisKeyStoreOptions {
  client: KeyStoreRedisClient
  /**
   * Key prefix: records live at `${prefix}:key:${id}`, the id set at `${prefix}:keys`. Default "tollgate". On a
   * Redis Cluster the records spread over every master; the id set lives on one (it changes only when keys are
   * created or deleted).
   */
  prefix?: string
  /**
   * Longest a call may take, waiting for the connection included, in ms; past it (or when Redis cannot be reached)
   * the call rejects with StoreUnavailableError. Default DEFAULT_STORE_TIMEOUT_MS.
   */
  timeoutMs?: number
}

interface Script {
  source: string
  sha: string
}

const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') })

/** Replaces a record and indexes its id in one step (on a cluster the set is in another slot: no KEYS[2], SADD follows). */
export const PUT_SCRIPT = script(`-- KEYS[1] record hash, KEYS[2] id set (absent on a cluster)
-- ARGV[1] id, ARGV[2..] field, value pairs (values JSON-encoded)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if KEYS[2] then redis.call('SADD', KEYS[2], ARGV[1]) end
return 1
`)

/** Patches the named fields of an existing record; nil when there is none. */
export const UPDATE_SCRIPT = script(`-- KEYS[1] record hash
-- ARGV[1] n, ARGV[2..1+2n] field, value pairs to set, ARGV[2+2n..] fields to remove
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local n = tonumber(ARGV[1])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * n)) end
if #ARGV > 1 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * n)) end
return redis.call('HGETALL', KEYS[1])
`)

/** Removes a record and its id from the set; returns 1 when the record existed (on a cluster: no KEYS[2], SREM follows). */
export const DELETE_SCRIPT = script(`-- KEYS[1] record hash, KEYS[2] id set (absent on a cluster)
-- ARGV[1] id
if KEYS[2] then redis.call('SREM', KEYS[2], ARGV[1]) end
return redis.call('DEL', KEYS[1])
`)

const decode = (fields: Record<string, string>): APIKeyRecord | undefined => {
  if (fields.id === undefined) return undefined
  const record: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(fields)) record[field] = JSON.parse(value)
  return record as unknown as APIKeyRecord
}

const pairsToObject = (reply: unknown): Record<string, string> => {
  const fields: Record<string, string> = {}
  if (!Array.isArray(reply)) return fields
  for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = String(reply[i + 1])
  return fields
}

/**
 * Stores key records in Redis hashes so every gateway instance sees the same keys. Writes are Lua
 * scripts called by SHA (falling back to EVAL after a script flush), so each change is one atomic step.
 *
 * @example
 * ```ts
 * const store = new RedisKeyStore({ client: new Redis(process.env.REDIS_URL!), prefix: 'tollgate' })
 * ```
 */
export class RedisKeyStore implements APIKeyStore {
  readonly prefix: string
  readonly timeoutMs: number
  #client: KeyStoreRedisClient
  #connection: StoreConnection | undefined
  /** On a cluster the id set is written after the record (another slot), never in the same script. */
  readonly #cluster: boolean

  constructor(options: RedisKeyStoreOptions) {
    this.#client = options.client
    this.#connection = isStoreConnection(options.client) ? options.client : undefined
    this.#cluster = isClusterClient(options.client)
    this.prefix = options.prefix ?? 'tollgate'
    this.timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new TypeError(`timeoutMs must be a positive number of ms, got ${JSON.stringify(options.timeoutMs)}`)
    }
  }

  /** One Redis call within the deadline; an unreachable or silent Redis becomes StoreUnavailableError. */
  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await callWhenReady(this.#connection, call, this.timeoutMs, 'API key store')
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error
      // MOVED, READONLY…: Redis answers, but not as a store the gateway can use. A 503 that says why, never a 500.
      const wrong = misconfiguration(error)
      if (wrong) throw new StoreUnavailableError(`API key store: ${wrong}`, { cause: error })
      // Any other reply error (a bug, a wrong type) is not an outage: it keeps its own message.
      if (error instanceof Error && error.name === 'ReplyError') throw error
      const why = error instanceof StoreTimeoutError ? error.message : 'API key store (Redis) is not reachable'
      throw new StoreUnavailableError(why, { cause: error })
    }
  }

  #recordKey(id: string): string {
    return `${this.prefix}:key:${id}`
  }

  get #setKey(): string {
    return `${this.prefix}:keys`
  }

  #run(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.#call(async () => {
      try {
        return await this.#client.evalsha(script.sha, keys.length, ...keys, ...args)
      } catch (error) {
        if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error
        return this.#client.eval(script.source, keys.length, ...keys, ...args)
      }
    })
  }

  async get(id: string): Promise<APIKeyRecord | undefined> {
    return decode(await this.#call(() => this.#client.hgetall(this.#recordKey(id))))
  }

  async put(record: APIKeyRecord): Promise<void> {
    const args: string[] = [record.id]
    for (const [field, value] of Object.entries(record)) {
      if (value !== undefined) args.push(field, JSON.stringify(value))
    }
    if (!this.#cluster) return void (await this.#run(PUT_SCRIPT, [this.#recordKey(record.id), this.#setKey], args))
    // Record first: a list() in between does not see the key yet; one that sees the id always finds its record.
    await this.#run(PUT_SCRIPT, [this.#recordKey(record.id)], args)
    await this.#call(() => this.#client.sadd(this.#setKey, record.id))
  }

  async update(id: string, patch: APIKeyPatch): Promise<APIKeyRecord | undefined> {
    const set: string[] = []
    const remove: string[] = []
    for (const [field, value] of Object.entries(patch)) {
      if (field === 'id') continue
      if (value === undefined) remove.push(field)
      else set.push(field, JSON.stringify(value))
    }
    const reply = await this.#run(UPDATE_SCRIPT, [this.#recordKey(id)], [set.length / 2, ...set, ...remove])
    return reply === null ? undefined : decode(pairsToObject(reply))
  }

  async delete(id: string): Promise<boolean> {
    if (!this.#cluster) return (await this.#run(DELETE_SCRIPT, [this.#recordKey(id), this.#setKey], [id])) === 1
    // Record first: an id left in the set by a failure in between is dropped by the next list().
    const existed = (await this.#run(DELETE_SCRIPT, [this.#recordKey(id)], [id])) === 1
    await this.#call(() => this.#client.srem(this.#setKey, id))
    return existed
  }

  async list(): Promise<APIKeyRecord[]> {
    const ids = await this.#call(() => this.#client.smembers(this.#setKey))
    // ioredis writes these back to back on one connection, so this is one pipelined burst.
    const found = await Promise.all(ids.map((id) => this.get(id)))
    const records: APIKeyRecord[] = []
    const stale: string[] = []
    found.forEach((record, i) => {
      if (record) records.push(record)
      else stale.push(ids[i]!)
    })
    if (stale.length > 0) await this.#call(() => this.#client.srem(this.#setKey, ...stale))
    return records.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }

  /** The client belongs to the caller, who closes it. */
  async close(): Promise<void> {}
}
