// Cache keys: which stored response may answer which request, so that no caller's response reaches another.
import type { HeaderReader } from '../proxy/request-header.js'
import { hash } from 'node:crypto'

/**
 * Request headers that can change what an upstream answers and that the gateway derives its own forwarded values
 * from (when trustProxy vouches for the peer). They are part of every key, so a crafted value only poisons its own
 * entry. Other origin-steering headers are stripped on cached routes (steering-headers.ts) or keyed per route.
 */
export const KEYED_REQUEST_HEADERS = ['host', 'x-forwarded-host', 'x-forwarded-proto'] as const

export interface CacheKeyInput {
  /** The normalised request path. */
  path: string
  /** The raw query string, without `?`. */
  search: string
  headers: HeaderReader
  /** Include the normalised Accept-Encoding. */
  varyOnEncoding: boolean
  /** The caller's API key id when entries are private to the caller; undefined for shared entries. */
  keyId: string | undefined
  /** The route's `cacheKeyHeaders` (lower case): steering headers it forwards, so they are keyed too. */
  keyHeaders?: readonly string[]
}

const digest = (text: string): string => hash('sha256', text, 'base64url').slice(0, 27)

/** Query parameters sorted by name (values of one name keep their order, which can matter upstream). */
export const sortedQuery = (search: string): string => {
  if (search === '') return ''
  const params = new URLSearchParams(search)
  params.sort()
  return params.toString()
}

/** `gzip;q=1, BR, identity;q=0` → `br,gzip`: codings in lower case, refused ones (q=0) dropped, sorted. */
export const normalizeAcceptEncoding = (value: string | null | undefined): string => {
  if (!value) return ''
  const codings = new Set<string>()
  for (const part of value.split(',')) {
    const [name = '', ...params] = part.split(';')
    const coding = name.trim().toLowerCase()
    if (coding === '') continue
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    codings.add(coding === 'x-gzip' ? 'gzip' : coding)
  }
  return [...codings].sort().join(',')
}

/**
 * The key of a URL for one audience: `<path>?<sorted query>|GET|…`. It starts with the path so that a purge by
 * path prefix finds it. GET and HEAD share it (HEAD is answered from GET entries).
 * @example
 * baseCacheKey({ path: '/api/items', search: 'b=2&a=1', headers, varyOnEncoding: true, keyId: undefined })
 * // '/api/items?a=1&b=2|GET|h=…|ae=gzip|k=-'
 */
export const baseCacheKey = (input: CacheKeyInput): string => {
  const { headers } = input
  let keyed = ''
  for (const name of KEYED_REQUEST_HEADERS) {
    const value = headers.get(name)
    if (value !== null) keyed += `${name}:${value.trim().toLowerCase()}\n`
  }
  // Values kept as sent (not lower-cased): a route keying on a header forwards it verbatim.
  for (const name of input.keyHeaders ?? []) {
    const value = headers.get(name)
    keyed += value === null ? `+${name}\n` : `+${name}:${value.trim()}\n`
  }
  const encoding = input.varyOnEncoding ? normalizeAcceptEncoding(headers.get('accept-encoding')) : '*'
  const key = input.keyId === undefined ? '-' : encodeURIComponent(input.keyId)
  return `${input.path}?${sortedQuery(input.search)}|GET|h=${digest(keyed)}|ae=${encoding}|k=${key}`
}

/** Header names from a response's Vary: lower case, sorted, unique; `'*'` when it varies on everything. */
export const parseVary = (value: string | null): string[] | '*' => {
  if (!value) return []
  const names = new Set<string>()
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase()
    if (name === '*') return '*'
    if (name !== '') names.add(name)
  }
  return [...names].sort()
}

/** The key of one variant of a URL: the base key plus a digest of the request's values of the Vary headers. */
export const variantCacheKey = (baseKey: string, varyHeaders: readonly string[], headers: HeaderReader): string => {
  let values = ''
  for (const name of varyHeaders) {
    const value = headers.get(name)
    // Absent and empty differ for an upstream, so they differ here too.
    values += value === null ? `${name}\n` : `${name}:${value.trim().replace(/\s+/g, ' ')}\n`
  }
  return `${baseKey}|v=${digest(values)}`
}

/**
 * Store key prefixes covering a path and everything below it on segment boundaries:
 * `/api/users` → [`/api/users?`, `/api/users/`] (never `/api/usersX`); `/` → [''] (everything).
 */
export const purgePrefixes = (pathPrefix: string): string[] => {
  let prefix = pathPrefix.startsWith('/') ? pathPrefix : `/${pathPrefix}`
  while (prefix.length > 1 && prefix.endsWith('/')) prefix = prefix.slice(0, -1)
  if (prefix === '/') return ['']
  return [`${prefix}?`, `${prefix}/`]
}
