// The API key wire format: `tg_<id>_<secret>_<checksum>`, parsed and digested without touching a store.
import { createHash, createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { crc32 } from 'node:zlib'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Length of the public key id, in base62 characters (~71 bits, so ids never collide in practice). */
export const KEY_ID_LENGTH = 12
/** Length of the secret, in base62 characters: 32 × log2(62) ≈ 190 bits of crypto randomness. */
export const KEY_SECRET_LENGTH = 32
/** Length of the checksum: CRC-32 of the rest of the key, base62 (it catches typos; the digest check is SHA-256). */
export const KEY_CHECKSUM_LENGTH = 6
/** Default key prefix; keys look like `tg_<id>_<secret>_<checksum>`. */
export const DEFAULT_KEY_PREFIX = 'tg'

/** Crypto-random base62 string; rejection sampling keeps every character uniform. */
export const randomBase62 = (length: number): string => {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      // 248 = 4 × 62: bytes at or above it would bias the first characters.
      if (byte < 248) out += BASE62[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

// CRC-32 only has to reject mistyped or truncated keys before a store lookup; it guards nothing secret.
const checksumOf = (body: string): string => {
  let n = crc32(body)
  let out = ''
  for (let i = 0; i < KEY_CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out
}

export interface ParsedKey {
  id: string
  /** The whole key as presented, for digesting. */
  key: string
}

/** Checks a prefix is safe to build a key pattern from. */
export const assertKeyPrefix = (prefix: string): void => {
  if (!/^[a-z][a-z0-9]{0,15}$/.test(prefix)) {
    throw new TypeError('keyPrefix must be 1–16 lower-case letters or digits, starting with a letter')
  }
}

/** Builds keys and recognises well-formed ones. */
export class KeyFormat {
  readonly prefix: string
  readonly length: number
  #pattern: RegExp

  constructor(prefix: string = DEFAULT_KEY_PREFIX) {
    assertKeyPrefix(prefix)
    this.prefix = prefix
    this.length = prefix.length + 3 + KEY_ID_LENGTH + KEY_SECRET_LENGTH + KEY_CHECKSUM_LENGTH
    this.#pattern = new RegExp(
      `^${prefix}_([0-9A-Za-z]{${KEY_ID_LENGTH}})_[0-9A-Za-z]{${KEY_SECRET_LENGTH}}_([0-9A-Za-z]{${KEY_CHECKSUM_LENGTH}})$`,
    )
  }

  /** A fresh random key id. */
  newId(): string {
    return randomBase62(KEY_ID_LENGTH)
  }

  /** A new key for `id` with a fresh secret. */
  build(id: string): string {
    const body = `${this.prefix}_${id}_${randomBase62(KEY_SECRET_LENGTH)}`
    return `${body}_${checksumOf(body)}`
  }

  /** The key's id when it is well formed (prefix, lengths, alphabet, checksum); undefined otherwise. */
  parse(key: string): ParsedKey | undefined {
    if (key.length !== this.length) return undefined
    const match = this.#pattern.exec(key)
    if (!match) return undefined
    const body = key.slice(0, key.length - KEY_CHECKSUM_LENGTH - 1)
    if (checksumOf(body) !== match[2]) return undefined
    return { id: match[1]!, key }
  }
}

/**
 * Digests keys for storage: HMAC-SHA256 under a server secret when one is given, else plain SHA-256.
 * Either way the store holds 32 bytes from which the key cannot be recovered; the secret additionally
 * means a leaked store cannot even be used to test guesses, and a writer to the store cannot plant a key.
 */
export class KeyHasher {
  #secret: Buffer | undefined

  constructor(serverSecret?: string | Uint8Array) {
    if (serverSecret !== undefined && serverSecret.length === 0) throw new TypeError('serverSecret must not be empty')
    this.#secret = serverSecret === undefined ? undefined : Buffer.from(serverSecret)
  }

  /** Whether digests are keyed (HMAC) rather than plain SHA-256. */
  get keyed(): boolean {
    return this.#secret !== undefined
  }

  /** Hex digest of a key. */
  digest(key: string): string {
    return (this.#secret ? createHmac('sha256', this.#secret) : createHash('sha256')).update(key).digest('hex')
  }

  /** Whether `key` has the stored hex digest: raw digests compared in constant time (the hot path of validation). */
  matches(key: string, storedHex: string): boolean {
    const stored = Buffer.from(storedHex, 'hex')
    return stored.length === 32 && this.matchesDigest(key, stored)
  }

  /** Whether `key` has the stored 32-byte digest, compared in constant time. */
  matchesDigest(key: string, stored: Buffer): boolean {
    const actual = this.#secret ? createHmac('sha256', this.#secret).update(key).digest() : hash('sha256', key, 'buffer')
    return timingSafeEqual(actual, stored)
  }
}
