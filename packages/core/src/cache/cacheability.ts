// What may be cached: which requests use the cache, which responses are stored, and for how long.
import type { HeaderReader } from '../proxy/request-header.js'
import type { APIKeyIdentity } from '../context.js'
import { parseVary } from './cache-key.js'
import { hasValidator } from './conditional.js'
import type { ResolvedCacheOptions } from './options.js'

/** Statuses stored without explicit freshness (RFC 9111 §4.2.2's heuristically cacheable ones, minus 501: 5xx never). */
export const CACHEABLE_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414])

/** `max-age=60, no-cache="set-cookie", Private` → Map { 'max-age' → '60', 'no-cache' → 'set-cookie', 'private' → true }. */
export const parseCacheControl = (value: string | null | undefined): Map<string, string | true> => {
  const directives = new Map<string, string | true>()
  if (!value) return directives
  // Split on commas outside quotes (a quoted field list such as no-cache="a, b" holds commas).
  for (const part of value.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const eq = part.indexOf('=')
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === '' || directives.has(name)) continue
    const raw = eq < 0 ? undefined : part.slice(eq + 1).trim()
    directives.set(name, raw === undefined ? true : raw.replace(/^"(.*)"$/, '$1'))
  }
  return directives
}

const seconds = (value: string | true | undefined): number | undefined => {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Number(value)
}

export type BypassReason = 'authorization' | 'cookie' | 'no-store' | 'range' | 'no-api-key'

/**
 * Why a GET/HEAD request must not use the cache at all (X-Cache: BYPASS), or undefined when it may.
 * Credentials on a route without `requireAuth` mean the upstream may answer privately for a caller the
 * gateway does not know, so such requests neither read nor write shared entries; a Cookie likewise keeps a
 * request off entries shared between callers (as Varnish's built-in policy does).
 */
export const bypassReason = (
  headers: HeaderReader,
  options: ResolvedCacheOptions,
  apiKey: APIKeyIdentity | undefined,
): BypassReason | undefined => {
  if (!options.requireAuth && (headers.has('authorization') || headers.has('x-api-key'))) return 'authorization'
  const perCaller = options.requireAuth && !options.shared
  if (perCaller && apiKey === undefined) return 'no-api-key'
  if (!perCaller && headers.has('cookie')) return 'cookie'
  if (headers.has('range')) return 'range'
  const cc = headers.get('cache-control')
  if (cc !== null && parseCacheControl(cc).has('no-store')) return 'no-store'
  return undefined
}

export type Storability =
  | {
      store: true
      /** How long the response stays fresh from now, in ms (route TTL capped by the upstream's freshness). */
      ttlMs: number
      /** The upstream's own Age, in ms: the stored response is that old already. */
      ageMs: number
      /** Request headers named in Vary (lower case, sorted). */
      vary: string[]
      /** must-revalidate / proxy-revalidate / no-cache: never serve it stale. */
      mustRevalidate: boolean
      /** It has an ETag or Last-Modified: once expired it is revalidated rather than refetched. */
      validator: boolean
      /** The upstream's stale-while-revalidate, in ms (0 with must-revalidate or no-cache). */
      staleWhileRevalidateMs: number
    }
  | { store: false; reason: string }

/**
 * Whether a response to a GET may be stored and for how long. A response with a validator (ETag, Last-Modified)
 * is stored even when it is already stale (`no-cache`, `max-age=0`): it is then revalidated before each use.
 * Without one, such responses are not stored, and neither is a `no-cache="field"` (qualified) response.
 */
export const responseStorability = (
  response: Pick<Response, 'status' | 'headers'>,
  options: ResolvedCacheOptions,
  now: number,
): Storability => {
  if (!CACHEABLE_STATUSES.has(response.status)) return { store: false, reason: `status ${response.status}` }
  const headers = response.headers
  if (headers.has('set-cookie')) return { store: false, reason: 'set-cookie' }
  const cc = parseCacheControl(headers.get('cache-control'))
  for (const directive of ['no-store', 'private']) {
    if (cc.has(directive)) return { store: false, reason: directive }
  }
  const validator = hasValidator(headers)
  const noCache = cc.get('no-cache')
  if (typeof noCache === 'string' || (noCache === true && !validator)) return { store: false, reason: 'no-cache' }
  const vary = parseVary(headers.get('vary'))
  if (vary === '*') return { store: false, reason: 'vary *' }
  const length = headers.get('content-length')
  if (length !== null && Number(length) > options.maxBodyBytes) return { store: false, reason: 'too large' }

  const ageMs = (seconds(headers.get('age') ?? undefined) ?? 0) * 1000
  let lifetimeMs: number | undefined
  const sMaxAge = seconds(cc.get('s-maxage'))
  const maxAge = seconds(cc.get('max-age'))
  if (sMaxAge !== undefined) lifetimeMs = sMaxAge * 1000
  else if (maxAge !== undefined) lifetimeMs = maxAge * 1000
  else if (headers.has('expires')) {
    const expires = Date.parse(headers.get('expires') ?? '')
    const date = Date.parse(headers.get('date') ?? '')
    // An invalid Expires means "already expired" (RFC 9111 §5.3).
    lifetimeMs = Number.isNaN(expires) ? 0 : expires - (Number.isNaN(date) ? now : date)
  }
  if (noCache === true) lifetimeMs = 0
  const ttlMs = lifetimeMs === undefined ? options.ttlMs : Math.min(options.ttlMs, lifetimeMs - ageMs)
  if (ttlMs <= 0 && !validator) return { store: false, reason: 'expired' }
  const mustRevalidate = noCache === true || cc.has('must-revalidate') || cc.has('proxy-revalidate')
  return {
    store: true,
    ttlMs: Math.max(0, ttlMs),
    ageMs,
    vary,
    mustRevalidate,
    validator,
    staleWhileRevalidateMs: mustRevalidate ? 0 : (seconds(cc.get('stale-while-revalidate')) ?? 0) * 1000,
  }
}

const UNSTORED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'age',
  'x-cache',
  'content-length',
  'set-cookie',
])

/** The response headers worth keeping with a stored body (hop-by-hop and per-answer ones dropped). */
export const storedHeaders = (headers: Headers): [string, string][] => {
  const connection = (headers.get('connection') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
  const kept: [string, string][] = []
  for (const [name, value] of headers) {
    if (!UNSTORED_HEADERS.has(name) && !connection.includes(name)) kept.push([name, value])
  }
  return kept
}

/** A GET/HEAD carries a body when it is framed as having one (RFC 9110 §8.6: Content-Length > 0 or any Transfer-Encoding). */
export const hasRequestBody = (headers: HeaderReader): boolean => {
  if (headers.has('transfer-encoding')) return true
  const length = headers.get('content-length')
  return length !== null && length.trim() !== '0' && length.trim() !== ''
}
