// The API key records and the store contract that the memory, file and Redis stores implement.

/** A stored key: everything but the secret, which is kept only as a digest. */
export interface APIKeyRecord {
  id: string
  name: string
  /** Hex digest of the whole key (HMAC-SHA256 or SHA-256, see KeyHasher). */
  hash: string
  /** Epoch ms. */
  createdAt: number
  expiresAt?: number
  revokedAt?: number
  rotatedAt?: number
  /** The key's own rate limit (a RateLimitConfig), if it has one. */
  rateLimit?: unknown
  tier?: string
  metadata?: Record<string, unknown>
}

/** Fields that `update` may change; `id` never changes. */
export type APIKeyPatch = Partial<Omit<APIKeyRecord, 'id' | 'createdAt'>>

export type APIKeyStatus = 'active' | 'revoked' | 'expired'

/** What callers, logs and the admin API see of a key: never the secret or its digest. */
export type APIKeyInfo = Omit<APIKeyRecord, 'hash'> & { status: APIKeyStatus }

/**
 * Where key records live. `update` patches the named fields of an existing record in one atomic step,
 * so a revoke and a rotate racing on two instances both take effect (neither overwrites the other).
 */
export interface APIKeyStore {
  get(id: string): Promise<APIKeyRecord | undefined>
  /** Creates or replaces a record. */
  put(record: APIKeyRecord): Promise<void>
  /** Patches an existing record; resolves to the new record, or undefined when there is none. */
  update(id: string, patch: APIKeyPatch): Promise<APIKeyRecord | undefined>
  /** Removes a record; resolves to whether it existed. */
  delete(id: string): Promise<boolean>
  list(): Promise<APIKeyRecord[]>
  close(): Promise<void>
}

/** Applies a patch; `undefined` values remove optional fields. */
export const applyPatch = (record: APIKeyRecord, patch: APIKeyPatch): APIKeyRecord => {
  const next: Record<string, unknown> = { ...record }
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) delete next[field]
    else next[field] = value
  }
  return next as unknown as APIKeyRecord
}

/** A deep copy, so callers never share mutable state with a store. */
export const cloneRecord = (record: APIKeyRecord): APIKeyRecord => structuredClone(record)
