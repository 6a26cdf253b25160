// How the cache stage answers: responses built from stored entries (304s included) and X-Cache on upstream answers.
import type { HeaderReader } from '../proxy/request-header.js'
import type { Context } from 'hono'
import { notModified, notModifiedHeaders } from './conditional.js'
import { exactResponse } from '../proxy/direct-write.js'
import type { CachedResponseMeta, CacheRecord } from './store.js'

/**
 * X-Cache: HIT (fresh entry), MISS (the upstream answered in full), REVALIDATED (an expired entry the upstream
 * confirmed with a 304), STALE (an expired entry served on upstream failure or while it is refreshed in the
 * background), BYPASS (the request may not use the cache).
 */
export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS' | 'STALE' | 'REVALIDATED'

export type CachedResponse = CacheRecord & { meta: CachedResponseMeta }

export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304])

/** 304 when the request's preconditions match the stored response, else its own status. */
export const conditionalStatus = (entry: CachedResponse, request: HeaderReader): number =>
  (request.has('if-none-match') || request.has('if-modified-since')) &&
  notModified(request, entry.meta.status, new Headers(entry.meta.headers))
    ? 304
    : entry.meta.status

/** The header pairs of an answer from `entry` with status `answer` (a 304 carries only what RFC 9110 §15.4.5 lists). */
const answerHeaders = (entry: CachedResponse, answer: number, status: CacheStatus, now: number): [string, string][] => {
  const pairs = answer === 304 && entry.meta.status !== 304 ? notModifiedHeaders(entry.meta.headers) : entry.meta.headers
  return [
    ...pairs.filter(([name]) => name !== 'age' && name !== 'x-cache'),
    ['age', String(Math.max(0, Math.floor((now - entry.meta.storedAt) / 1000)))],
    ['x-cache', status],
  ]
}

/** Each stored entry's own header pairs, flattened once (minus Age and X-Cache): what a HIT writes to the socket. */
const flattened = new WeakMap<CachedResponseMeta, string[]>()

/**
 * The flat [name, value, …] headers of a HIT answered with the stored status, for a write straight to the socket:
 * the entry's pairs serialised once per entry (the memory store hands back the same record), then Age and X-Cache.
 */
export const hitHeaderPairs = (entry: CachedResponse, now: number): string[] => {
  let pairs = flattened.get(entry.meta)
  if (pairs === undefined) {
    pairs = []
    for (const [name, value] of entry.meta.headers) if (name !== 'age' && name !== 'x-cache') pairs.push(name, value)
    flattened.set(entry.meta, pairs)
  }
  return [...pairs, 'age', String(Math.max(0, Math.floor((now - entry.meta.storedAt) / 1000))), 'x-cache', 'HIT']
}

/** The headers of an answer from `entry`, as the record c.body() takes (stored entries hold no repeated fields). */
export const headerRecord = (entry: CachedResponse, answer: number, status: CacheStatus, now: number): Record<string, string> =>
  Object.fromEntries(answerHeaders(entry, answer, status, now))

/** The stored response as an answer to `request`: a 304 when the request's preconditions show the client has it. */
export const responseFrom = (record: CachedResponse, status: CacheStatus, request: Request, now: number): Response => {
  const answer = conditionalStatus(record, request.headers)
  const headers = new Headers()
  for (const [name, value] of answerHeaders(record, answer, status, now)) headers.append(name, value)
  const body = request.method === 'HEAD' || NULL_BODY_STATUSES.has(answer) ? null : (record.body as Uint8Array<ArrayBuffer>)
  return exactResponse(new Response(body, { status: answer, headers }), body)
}

/** Replaces c.res without Hono merging the old response's headers back in (they would overwrite X-Cache and Age). */
export const replaceResponse = (c: Context, response: Response): void => {
  c.res = undefined
  c.res = response
}

/** A copy of `response` with mutable headers (fetch's are immutable) carrying `body`. */
export const withBody = (response: Response, body: ReadableStream<Uint8Array> | null): Response =>
  exactResponse(
    new Response(body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) }),
    body,
  )

export const markResponse = (c: Context, status: CacheStatus): void => {
  const response = withBody(c.res, c.res.body)
  response.headers.set('x-cache', status)
  replaceResponse(c, response)
}

/** Turns a full answer whose validators match the client's preconditions into a 304 (the body, if any, is dropped). */
export const answerConditionally = (c: Context): void => {
  const response = c.res
  if (!notModified(c.req.raw.headers, response.status, response.headers)) return
  response.body?.cancel().catch(() => {})
  const headers = new Headers(notModifiedHeaders([...response.headers]))
  for (const name of ['age', 'x-cache']) {
    const value = response.headers.get(name)
    if (value !== null) headers.set(name, value)
  }
  replaceResponse(c, exactResponse(new Response(null, { status: 304, headers }), null))
}

/** Whether an entry may still be served without asking the upstream. */
export const isFresh = (entry: CachedResponse | undefined, now: number): boolean => entry !== undefined && now < entry.meta.freshUntil

/**
 * The request that refreshes an entry in the background: the client's GET without its client-address headers. The
 * refresh comes from the gateway itself (127.0.0.1), where a trusted-proxy rule could otherwise lend the client's
 * claimed address to it. Host and X-Forwarded-Host/Proto stay: they are in the key.
 */
export const refreshRequest = (c: Context): Request => {
  const headers = new Headers(c.req.raw.headers)
  for (const name of ['x-forwarded-for', 'forwarded', 'x-real-ip']) headers.delete(name)
  return new Request(c.req.url, { method: 'GET', headers })
}
