// The cache store contract shared by the memory and Redis stores, and the binary record codec Redis uses.

/** A stored response: status, headers and times (epoch ms); the body travels beside it as bytes. */
export interface CachedResponseMeta {
  kind: 'response'
  status: number
  /** Header pairs as the upstream sent them, minus hop-by-hop, Age and X-Cache. */
  headers: [string, string][]
  /** Epoch ms the response's age counts from (receive time minus the upstream's own Age). */
  storedAt: number
  /** Fresh (served as HIT) until this epoch ms. */
  freshUntil: number
  /** Servable as STALE on upstream failure until this epoch ms (= freshUntil when staleIfError is 0). */
  staleUntil: number
  /**
   * Servable as STALE while one background request revalidates it until this epoch ms (the upstream's
   * stale-while-revalidate); absent when it sent none.
   */
  revalidateUntil?: number
}

/** Stored at a URL's key when its upstream sent `Vary`: the request headers that pick the variant. */
export interface VaryMeta {
  kind: 'vary'
  /** Lower-case header names, sorted, without duplicates. */
  headers: string[]
}

export interface CacheRecord {
  meta: CachedResponseMeta | VaryMeta
  /** Response body (empty for vary records and bodiless responses). */
  body: Uint8Array
}

/**
 * Where cached responses live. Keys are the strings from `cache-key.ts` (they start with the normalised path,
 * so `purge('/api/users/')` removes one subtree); the store adds its own namespace.
 */
export interface CacheStore {
  get(key: string): Promise<CacheRecord | undefined>
  /** Stores `record` for `ttlMs` (the store drops it afterwards). */
  set(key: string, record: CacheRecord, ttlMs: number): Promise<void>
  delete(key: string): Promise<boolean>
  /** Removes every record whose key starts with `prefix` (all when absent); resolves to how many. */
  purge(prefix?: string): Promise<number>
  /** Records held (responses plus one vary record per URL whose upstream sends Vary): the `cache_size` gauge. */
  size(): Promise<number>
  close(): Promise<void>
}

/** Approximate bytes a record takes, for byte-bounded stores. */
export const recordBytes = (key: string, record: CacheRecord): number => {
  let bytes = key.length + record.body.byteLength + 64
  const meta = record.meta
  if (meta.kind === 'vary') for (const h of meta.headers) bytes += h.length
  else for (const [k, v] of meta.headers) bytes += k.length + v.length + 8
  return bytes
}

/** `[u32 meta length][meta JSON][body]`: one binary-safe value, so one SET PX writes record and TTL together. */
export const encodeRecord = (record: CacheRecord): Buffer => {
  const meta = Buffer.from(JSON.stringify(record.meta), 'utf8')
  const out = Buffer.allocUnsafe(4 + meta.length + record.body.byteLength)
  out.writeUInt32BE(meta.length, 0)
  meta.copy(out, 4)
  out.set(record.body, 4 + meta.length)
  return out
}

/** Inverse of encodeRecord; undefined for anything malformed (a foreign or truncated value is a miss, not a crash). */
export const decodeRecord = (value: Buffer): CacheRecord | undefined => {
  if (value.length < 4) return undefined
  const metaLength = value.readUInt32BE(0)
  if (4 + metaLength > value.length) return undefined
  try {
    const meta = JSON.parse(value.toString('utf8', 4, 4 + metaLength)) as CacheRecord['meta']
    if (meta?.kind !== 'response' && meta?.kind !== 'vary') return undefined
    return { meta, body: new Uint8Array(value.buffer, value.byteOffset + 4 + metaLength, value.length - 4 - metaLength) }
  } catch {
    return undefined
  }
}
