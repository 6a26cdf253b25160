// Conditional requests on the cache (RFC 9110 §13, RFC 9111 §4.3): 304s from stored entries and upstream revalidation.
import type { HeaderReader } from '../proxy/request-header.js'

/** Entity tags of an If-None-Match list (`W/"a", "b"`), or ['*']. */
const entityTags = (value: string): string[] => value.match(/(?:W\/)?"[^"]*"|\*/g) ?? []

/** Weak comparison (RFC 9110 §8.8.3.2): the opaque tags match, whatever their W/ prefixes. */
const weakMatch = (a: string, b: string): boolean => (a.startsWith('W/') ? a.slice(2) : a) === (b.startsWith('W/') ? b.slice(2) : b)

/**
 * Whether a GET/HEAD's preconditions say the client's copy of `stored` is current, so the answer is 304
 * (RFC 9110 §13.2.2): If-None-Match (weak comparison, `*` matching any stored response) wins; If-Modified-Since
 * is looked at only without it and compares with the stored Last-Modified. Preconditions apply to 2xx answers only.
 * @example
 * notModified(new Headers({ 'if-none-match': 'W/"v1"' }), 200, new Headers({ etag: '"v1"' })) // true
 */
export const notModified = (request: HeaderReader, status: number, stored: Headers): boolean => {
  if (status < 200 || status > 299) return false
  const ifNoneMatch = request.get('if-none-match')
  if (ifNoneMatch !== null) {
    const etag = stored.get('etag')?.trim()
    return entityTags(ifNoneMatch).some((tag) => tag === '*' || (etag !== undefined && weakMatch(tag, etag)))
  }
  const ifModifiedSince = request.get('if-modified-since')
  if (ifModifiedSince === null) return false
  const since = Date.parse(ifModifiedSince)
  const lastModified = Date.parse(stored.get('last-modified') ?? '')
  return !Number.isNaN(since) && !Number.isNaN(lastModified) && lastModified <= since
}

/** What a 304 carries of the stored response (RFC 9110 §15.4.5): validators and caching metadata, never the body's framing. */
const NOT_MODIFIED_HEADERS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'last-modified', 'vary']

/** The header pairs of a 304 answered for `stored`. */
export const notModifiedHeaders = (stored: readonly (readonly [string, string])[]): [string, string][] =>
  stored.filter(([name]) => NOT_MODIFIED_HEADERS.includes(name)).map(([name, value]) => [name, value])

/** Whether a stored response can be revalidated: it has an ETag or a Last-Modified. */
export const hasValidator = (headers: Headers): boolean => headers.has('etag') || headers.has('last-modified')

/**
 * The upstream request headers for revalidating `stored`: its validators as If-None-Match / If-Modified-Since,
 * and the client's own conditionals removed (undefined), so the upstream's 304 always speaks of the stored entry.
 */
export const revalidationHeaders = (stored: Headers): Record<string, string | undefined> => ({
  'if-none-match': stored.get('etag') ?? undefined,
  'if-modified-since': stored.get('last-modified') ?? undefined,
})

/** The upstream request headers for a request whose answer may be stored: the client's conditionals removed. */
export const UNCONDITIONAL: Readonly<Record<string, undefined>> = { 'if-none-match': undefined, 'if-modified-since': undefined }

/** Fields a 304 must not change in the stored response (RFC 9111 §3.2: the stored body's own framing and coding). */
const KEPT_ON_UPDATE = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding'])

/**
 * The stored header pairs updated with those of the upstream's 304 (RFC 9111 §4.3.4): each field the 304 carries
 * replaces the stored one, except the body's framing.
 */
export const updatedHeaders = (
  stored: readonly (readonly [string, string])[],
  fresh: readonly (readonly [string, string])[],
): [string, string][] => {
  const replaced = new Set(fresh.map(([name]) => name).filter((name) => !KEPT_ON_UPDATE.has(name)))
  const kept: [string, string][] = stored.filter(([name]) => !replaced.has(name)).map(([name, value]) => [name, value])
  for (const [name, value] of fresh) if (replaced.has(name)) kept.push([name, value])
  return kept
}
