// Issues, validates, lists, revokes and rotates API keys over any APIKeyStore, with a short in-process cache.
import { LRUCache } from 'lru-cache'
import { systemClock, type Clock } from '../clock.js'
import { StoreUnavailableError } from '../errors.js'
import { DEFAULT_STORE_TIMEOUT_MS, withStoreDeadline } from '../limiter/store/deadline.js'
import { DEFAULT_KEY_PREFIX, KeyFormat, KeyHasher } from './key-format.js'
import { MemoryKeyStore } from './memory-key-store.js'
import type { APIKeyInfo, APIKeyRecord, APIKeyStatus, APIKeyStore } from './types.js'

/** Where key events go: ids and names only, never keys. Consola and console both fit. */
export interface KeyEventLogger {
  info(message: string, ...args: unknown[]): void
}

export interface APIKeyManagerOptions {
  /** Where records live. Default: a MemoryKeyStore (keys vanish on restart). */
  store?: APIKeyStore
  /**
   * Server secret for HMAC-SHA256 digests. Without it keys are stored as plain SHA-256: still one-way (the
   * secret part has ~190 random bits, so no guessing), but anyone holding a copy of the store can check a
   * candidate key offline and anyone who can write to it can plant a key of their own. Changing it
   * invalidates every key issued before.
   */
  serverSecret?: string | Uint8Array
  /** Clock for expiry and cache lifetimes. Default: system time. */
  clock?: Clock
  /**
   * How long a looked-up key is trusted before the store is asked again, in ms. This bounds how late a
   * revocation or rotation made on another instance takes effect here (the instance that makes it applies
   * it at once). Default 5 000.
   */
  cacheTtlMs?: number
  /**
   * Longest a key lookup (validateApiKey past the cache) waits for the store, in ms; past it the lookup rejects
   * with StoreUnavailableError (the auth stage answers 503 `store_unavailable`). Default DEFAULT_STORE_TIMEOUT_MS.
   */
  storeTimeoutMs?: number
  /** How long an unknown key id is remembered as unknown, in ms. Default 1 000. */
  negativeCacheTtlMs?: number
  /** Most key ids cached at once. Default 10 000. */
  cacheMax?: number
  /** First part of every key (`tg_…`). Default "tg". */
  keyPrefix?: string
  /** Checks a rate limit given to a key; returns an error message naming the field, or undefined when valid. */
  validateRateLimit?: (value: unknown) => string | undefined
  /** Whether a tier name is known. Default: any non-empty string. */
  isTier?: (name: string) => boolean
  /** Where key events are logged (ids and names only, never keys). Default: silent. */
  logger?: KeyEventLogger
}

export interface CreateApiKeyOptions {
  tier?: string
  /** When the key stops working: a Date or epoch ms. */
  expiresAt?: Date | number
  metadata?: Record<string, unknown>
}

/** A newly issued key: `key` is the plaintext, shown this once. */
export interface IssuedAPIKey {
  id: string
  key: string
  info: APIKeyInfo
}

interface CacheEntry {
  record: APIKeyRecord | undefined
  /** Epoch ms from which the entry is no longer trusted. */
  expiresAt: number
  /** The record's digest as bytes (decoded once, not per request); undefined when it is not a 32-byte hex digest. */
  digest?: Buffer | undefined
  /** The record's info with status `'active'`, built on first use and shared by the requests that validate it. */
  info?: Readonly<APIKeyInfo>
}

/** Cached records are shared by every request that validates the key, so nobody may change them. */
const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}

const statusOf = (record: APIKeyRecord, now: number): APIKeyStatus =>
  record.revokedAt !== undefined ? 'revoked' : record.expiresAt !== undefined && now >= record.expiresAt ? 'expired' : 'active'

const decodeDigest = (hex: string): Buffer | undefined => {
  const digest = Buffer.from(hex, 'hex')
  return digest.length === 32 ? digest : undefined
}

const toInfo = (record: APIKeyRecord, now: number): APIKeyInfo => {
  const { hash: _hash, ...rest } = record
  return { ...rest, status: statusOf(record, now) }
}

/**
 * Owns the API keys of a gateway: keys are `tg_<id>_<secret>_<checksum>`, stored only as digests,
 * validated against a bounded in-process cache so the hot path rarely reaches the store.
 *
 * @example
 * ```ts
 * const keys = new APIKeyManager({ store: new FileKeyStore({ path: 'keys.json' }), serverSecret: process.env.KEY_SECRET })
 * const key = await keys.createApiKey('Premium App', { requestsPerMinute: 1000 }, { tier: 'premium' })
 * const info = await keys.validateApiKey(key)   // → { id, name, status: 'active', … } or null
 * ```
 */
export class APIKeyManager {
  readonly store: APIKeyStore
  readonly format: KeyFormat
  readonly cacheTtlMs: number
  #hasher: KeyHasher
  #clock: Clock
  #negativeTtlMs: number
  #storeTimeoutMs: number
  #cache: LRUCache<string, CacheEntry>
  #pending = new Map<string, Promise<APIKeyRecord | undefined>>()
  #validateRateLimit: ((value: unknown) => string | undefined) | undefined
  #isTier: (name: string) => boolean
  #logger: KeyEventLogger | undefined

  constructor(options: APIKeyManagerOptions = {}) {
    this.store = options.store ?? new MemoryKeyStore()
    this.format = new KeyFormat(options.keyPrefix ?? DEFAULT_KEY_PREFIX)
    this.#hasher = new KeyHasher(options.serverSecret)
    this.#clock = options.clock ?? systemClock
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000
    this.#negativeTtlMs = options.negativeCacheTtlMs ?? 1_000
    this.#storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
    if (!Number.isFinite(this.#storeTimeoutMs) || this.#storeTimeoutMs <= 0) {
      throw new TypeError(`storeTimeoutMs must be a positive number of ms, got ${JSON.stringify(options.storeTimeoutMs)}`)
    }
    this.#validateRateLimit = options.validateRateLimit
    this.#isTier = options.isTier ?? ((name) => name.length > 0)
    this.#logger = options.logger
    // No TTL inside the LRU: entries carry their own deadline, read from the injected clock.
    this.#cache = new LRUCache<string, CacheEntry>({ max: options.cacheMax ?? 10_000 })
  }

  /** Whether stored digests are keyed with a server secret (HMAC) rather than plain SHA-256. */
  get keyedDigests(): boolean {
    return this.#hasher.keyed
  }

  /**
   * Issues a key and resolves to its plaintext, which is not stored and cannot be shown again.
   *
   * @example
   * ```ts
   * const key = await manager.createApiKey('Basic App')
   * ```
   */
  async createApiKey(name: string, rateLimit?: unknown, options: CreateApiKeyOptions = {}): Promise<string> {
    return (await this.createApiKeyWithId(name, rateLimit, options)).key
  }

  /** Like createApiKey, but also gives the key's id and info (what the admin API answers). */
  async createApiKeyWithId(name: string, rateLimit?: unknown, options: CreateApiKeyOptions = {}): Promise<IssuedAPIKey> {
    if (typeof name !== 'string' || name.trim().length === 0) throw new TypeError('name must be a non-empty string')
    if (rateLimit !== undefined && this.#validateRateLimit) {
      const problem = this.#validateRateLimit(rateLimit)
      if (problem) throw new TypeError(problem)
    }
    if (options.tier !== undefined && (typeof options.tier !== 'string' || !this.#isTier(options.tier))) {
      throw new TypeError(`tier: unknown tier ${JSON.stringify(options.tier)}`)
    }
    const expiresAt = options.expiresAt instanceof Date ? options.expiresAt.getTime() : options.expiresAt
    if (expiresAt !== undefined && !Number.isFinite(expiresAt)) throw new TypeError('expiresAt must be a valid date')

    let id = this.format.newId()
    // ~71-bit ids practically never collide; checking keeps a collision from replacing someone's key.
    while (await this.store.get(id)) id = this.format.newId()
    const key = this.format.build(id)
    const record: APIKeyRecord = { id, name, hash: this.#hasher.digest(key), createdAt: this.#clock.now() }
    if (expiresAt !== undefined) record.expiresAt = expiresAt
    if (rateLimit !== undefined) record.rateLimit = structuredClone(rateLimit)
    if (options.tier !== undefined) record.tier = options.tier
    if (options.metadata !== undefined) record.metadata = structuredClone(options.metadata)
    await this.store.put(record)
    this.#remember(id, record)
    this.#logger?.info(`api key created: id=${id} name=${JSON.stringify(name)}`)
    return { id, key, info: toInfo(record, this.#clock.now()) }
  }

  /**
   * The key's info when it is well formed, known, not revoked and not expired; otherwise null.
   * A malformed key is rejected before any store or cache lookup.
   */
  async validateApiKey(key: string): Promise<APIKeyInfo | null> {
    if (typeof key !== 'string') return null
    const parsed = this.format.parse(key)
    if (!parsed) return null
    const record = await this.#lookup(parsed.id)
    if (!record || !this.#hasher.matches(key, record.hash)) return null
    const now = this.#clock.now()
    return statusOf(record, now) === 'active' ? toInfo(record, now) : null
  }

  /**
   * validateApiKey answered from the cache, without a promise (the auth stage's hot path): the info (shared and
   * read-only), null when the key is not valid, or undefined when the cache cannot tell (then call validateApiKey).
   * The digest comparison stays constant-time.
   */
  validateCached(key: string): Readonly<APIKeyInfo> | null | undefined {
    const parsed = this.format.parse(key)
    if (!parsed) return null
    const entry = this.#cache.get(parsed.id)
    const now = this.#clock.now()
    if (!entry || now >= entry.expiresAt) return undefined
    const record = entry.record
    if (!record) return null
    entry.digest ??= decodeDigest(record.hash)
    if (!entry.digest || !this.#hasher.matchesDigest(key, entry.digest) || statusOf(record, now) !== 'active') return null
    return (entry.info ??= Object.freeze(toInfo(record, now)))
  }

  /** Every key's info (revoked and expired ones included), oldest first; never secrets or digests. */
  async listApiKeys(): Promise<APIKeyInfo[]> {
    const now = this.#clock.now()
    return (await this.store.list())
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      .map((record) => toInfo(record, now))
  }

  /** One key's info by id, or null. Reads the store, not the cache. */
  async getApiKey(id: string): Promise<APIKeyInfo | null> {
    const record = await this.store.get(id)
    return record ? toInfo(record, this.#clock.now()) : null
  }

  /**
   * Revokes a key: true when it exists (it is revoked now, also if it already was), false when unknown.
   * Immediate on this instance; other instances stop accepting it within `cacheTtlMs`.
   */
  async revokeApiKey(id: string): Promise<boolean> {
    const current = await this.store.get(id)
    if (!current) return false
    if (current.revokedAt !== undefined) {
      this.#remember(id, current)
      return true
    }
    const record = await this.store.update(id, { revokedAt: this.#clock.now() })
    this.#remember(id, record)
    if (record) this.#logger?.info(`api key revoked: id=${id}`)
    return record !== undefined
  }

  /**
   * Gives an active key a new secret, keeping its id, name, limits and expiry; resolves to the new key,
   * or null when the key is unknown, revoked or expired. The old secret stops working at once here and
   * within `cacheTtlMs` on other instances.
   */
  async rotateApiKey(id: string): Promise<string | null> {
    const current = await this.store.get(id)
    if (!current || statusOf(current, this.#clock.now()) !== 'active') return null
    const key = this.format.build(id)
    const record = await this.store.update(id, { hash: this.#hasher.digest(key), rotatedAt: this.#clock.now() })
    this.#remember(id, record)
    if (!record) return null
    this.#logger?.info(`api key rotated: id=${id}`)
    return key
  }

  /**
   * Puts a key on a tier, replacing the one it was created with: the most recent assignment wins. Immediate on
   * this instance; other instances apply it within `cacheTtlMs`. Resolves to the key's info, or null when unknown.
   *
   * @example
   * ```ts
   * await manager.setTier(id, 'premium')
   * ```
   */
  async setTier(id: string, tier: string): Promise<APIKeyInfo | null> {
    if (typeof tier !== 'string' || !this.#isTier(tier)) throw new TypeError(`tier: unknown tier ${JSON.stringify(tier)}`)
    const record = await this.store.update(id, { tier })
    if (!record) return null
    this.#remember(id, record)
    this.#logger?.info(`api key tier set: id=${id} tier=${tier}`)
    return toInfo(record, this.#clock.now())
  }

  #remember(id: string, record: APIKeyRecord | undefined, ttlMs = this.cacheTtlMs): void {
    this.#pending.delete(id)
    if (ttlMs <= 0) this.#cache.delete(id)
    else this.#cache.set(id, { record: record && deepFreeze(record), expiresAt: this.#clock.now() + ttlMs })
  }

  /** Forgets cached lookups (all, or one id), e.g. after editing the store by hand. */
  clearCache(id?: string): void {
    if (id === undefined) this.#cache.clear()
    else this.#cache.delete(id)
  }

  /** Closes the store. */
  async close(): Promise<void> {
    this.#cache.clear()
    await this.store.close()
  }

  /** The record for an id from the cache, else from the store (one lookup per id however many callers wait). */
  async #lookup(id: string): Promise<APIKeyRecord | undefined> {
    const cached = this.#cache.get(id)
    if (cached && this.#clock.now() < cached.expiresAt) return cached.record
    const waiting = this.#pending.get(id)
    if (waiting) return waiting
    const found = withStoreDeadline(this.store.get(id), this.#storeTimeoutMs, 'API key store')
    const pending: Promise<APIKeyRecord | undefined> = found.then(
      (record) => {
        // A revoke or rotate on this instance while the lookup was in flight wins over what it read.
        if (this.#pending.get(id) === pending) this.#remember(id, record, record ? this.cacheTtlMs : this.#negativeTtlMs)
        return record
      },
      (error: unknown) => {
        if (this.#pending.get(id) === pending) this.#pending.delete(id)
        if (error instanceof StoreUnavailableError) throw error
        throw new StoreUnavailableError('API key store lookup failed', { cause: error })
      },
    )
    this.#pending.set(id, pending)
    return pending
  }
}
