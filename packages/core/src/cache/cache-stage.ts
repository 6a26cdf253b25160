// The response cache pipeline stage: serves fresh entries, coalesces misses, stores what may be stored.
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import { systemClock, type Clock } from '../clock.js'
import type { Route } from '../routing/route.js'
import { normalizePath } from '../routing/normalize-path.js'
import { baseCacheKey, variantCacheKey } from './cache-key.js'
import { bypassReason, hasRequestBody, responseStorability, storedHeaders, type Storability } from './cacheability.js'
import {
  answerConditionally,
  type CachedResponse,
  type CacheStatus,
  conditionalStatus,
  headerRecord,
  hitHeaderPairs,
  isFresh,
  markResponse,
  NULL_BODY_STATUSES,
  refreshRequest,
  replaceResponse,
  responseFrom,
  withBody,
} from './cached-answer.js'
import { hasValidator, revalidationHeaders, UNCONDITIONAL, updatedHeaders } from './conditional.js'
import { Flights, type FlightOutcome, waitFor } from './flights.js'
import { resolveCacheOptions } from './options.js'
import { readBounded } from './read-bounded.js'
import { canWriteDirect, exactResponse, writeDirect } from '../proxy/direct-write.js'
import { requestHeaders } from '../proxy/request-header.js'
import { DEFAULT_SECRET_QUERY_PARAMS, hasSecretQueryParam } from './secret-query.js'
import { unkeyedSteeringHeaders } from './steering-headers.js'
import type { CachedResponseMeta, CacheRecord, CacheStore } from './store.js'

export type { CacheStatus }

export interface CacheStageDeps {
  store: CacheStore
  /** Clock for freshness (tests inject fake time). Default: Date.now(). */
  clock?: Clock
  /** Called when a stored response answers without the upstream (HIT, 304 from an entry, STALE): the `cache_hits` counter. */
  onHit?(c: Context): void
  /** Called when the upstream answers a cacheable request (MISS, and REVALIDATED: it was asked): the `cache_misses` counter. */
  onMiss?(c: Context): void
  /** Store faults; the request then goes on uncached (a cache outage must not fail requests). Default: ignored. */
  onError?(error: unknown, c: Context): void
  /** Lower-case query parameter names that carry credentials: requests holding one bypass the cache. */
  secretQueryParams?: ReadonlySet<string>
  /** Longest a coalesced miss waits for the request ahead of it before going upstream itself, in ms. Default 30 000. */
  maxWaitMs?: number
  /**
   * Sends a request through the whole gateway again (its `fetch`): how an entry within the upstream's
   * stale-while-revalidate is refreshed in the background. Without it, such entries are revalidated in the foreground.
   */
  refresh?(request: Request): Promise<Response>
}

const EMPTY = new Uint8Array(0)

/** Merges upstream request header overrides with those earlier stages set. */
const overrideUpstreamHeaders = (c: Context, overrides: Readonly<Record<string, string | undefined>>): void => {
  c.set('upstreamRequestHeaders', { ...c.get('upstreamRequestHeaders'), ...overrides })
}

/**
 * The cache stage of one route, or undefined when the route has no `cacheTtl`. Answers GET and HEAD from the
 * store (X-Cache: HIT, with Age), sends one upstream request for concurrent misses of one key, stores cacheable
 * answers (X-Cache: MISS) and serves an expired entry within `staleIfError` when the upstream fails (STALE).
 * Requests that must not use the cache get X-Cache: BYPASS. Other methods pass through untouched.
 * @example
 * const stage = cacheStage(route, { store, onHit: () => metrics.cacheHits++, onMiss: () => metrics.cacheMisses++ })
 * if (stage) pipeline.push(stage)
 */
export const cacheStage = (route: Pick<Route, 'raw'>, deps: CacheStageDeps): MiddlewareHandler | undefined => {
  const options = resolveCacheOptions(route.raw)
  if (!options) return undefined
  const { store } = deps
  const clock = deps.clock ?? systemClock
  const maxWaitMs = deps.maxWaitMs ?? 30_000
  const secretQueryParams = deps.secretQueryParams ?? new Set(DEFAULT_SECRET_QUERY_PARAMS)
  const inflight = new Flights()
  // Entries being refreshed in the background (stale-while-revalidate), by flight key: one refresh each at a time.
  const refreshing = new Set<string>()
  // The requests this stage sent through the gateway to refresh an entry: they revalidate instead of serving stale.
  const background = new WeakSet<Request>()

  const refreshInBackground = (c: Context, flightKey: string): void => {
    const refresh = deps.refresh
    if (!refresh || refreshing.has(flightKey)) return
    refreshing.add(flightKey)
    const request = refreshRequest(c)
    background.add(request)
    // Next tick: the client's answer goes out first. The body is read so that the write completes.
    setImmediate(() => {
      Promise.resolve()
        .then(() => refresh(request))
        .then((response) => response.arrayBuffer())
        .catch((error: unknown) => deps.onError?.(error, c))
        .finally(() => refreshing.delete(flightKey))
    })
  }

  const safeGet = async (c: Context, key: string): Promise<CacheRecord | undefined> => {
    try {
      return await store.get(key)
    } catch (error) {
      deps.onError?.(error, c)
      return undefined
    }
  }

  /** Two-step lookup as HTTP caches do it: the URL's record is the response itself or its Vary spec. */
  const lookup = async (c: Context, baseKey: string): Promise<{ entry: CachedResponse | undefined; flightKey: string }> => {
    const first = await safeGet(c, baseKey)
    if (!first) return { entry: undefined, flightKey: baseKey }
    if (first.meta.kind === 'response') return { entry: first as CachedResponse, flightKey: baseKey }
    const variantKey = variantCacheKey(baseKey, first.meta.headers, requestHeaders(c))
    const variant = await safeGet(c, variantKey)
    return { entry: variant?.meta.kind === 'response' ? (variant as CachedResponse) : undefined, flightKey: variantKey }
  }

  const write = async (c: Context, baseKey: string, vary: string[], record: CachedResponse, ttlMs: number): Promise<void> => {
    try {
      if (vary.length === 0) return await store.set(baseKey, record, ttlMs)
      await store.set(baseKey, { meta: { kind: 'vary', headers: vary }, body: EMPTY }, ttlMs)
      await store.set(variantCacheKey(baseKey, vary, requestHeaders(c)), record, ttlMs)
    } catch (error) {
      deps.onError?.(error, c)
      throw error
    }
  }

  /** The meta of a storable response, and how long the store keeps it: past freshness for stale serving and revalidation. */
  const recordFor = (
    verdict: Extract<Storability, { store: true }>,
    status: number,
    headers: [string, string][],
    receivedAt: number,
  ): { meta: CachedResponseMeta; storeTtlMs: number } => {
    // An entry with a validator is kept another cacheTtl after it expires, to be revalidated rather than refetched.
    const keepMs = Math.max(
      verdict.mustRevalidate ? 0 : options.staleIfErrorMs,
      verdict.staleWhileRevalidateMs,
      verdict.validator ? options.ttlMs : 0,
    )
    const freshUntil = receivedAt + verdict.ttlMs
    const meta: CachedResponseMeta = {
      kind: 'response',
      status,
      headers,
      storedAt: receivedAt - verdict.ageMs,
      freshUntil,
      staleUntil: freshUntil + (verdict.mustRevalidate ? 0 : options.staleIfErrorMs),
    }
    if (verdict.staleWhileRevalidateMs > 0) meta.revalidateUntil = freshUntil + verdict.staleWhileRevalidateMs
    return { meta, storeTtlMs: verdict.ttlMs + keepMs }
  }

  /**
   * Stores the refreshed entry after the upstream's 304 for `entry` (its fields update the stored ones, the body is
   * kept) and answers from it. Resolves once written, with whether it was.
   */
  const storeRevalidated = (
    c: Context,
    baseKey: string,
    flightKey: string,
    entry: CachedResponse,
    receivedAt: number,
  ): Promise<boolean> => {
    const notModifiedAnswer = c.res
    notModifiedAnswer.body?.cancel().catch(() => {})
    const headers = updatedHeaders(entry.meta.headers, storedHeaders(notModifiedAnswer.headers))
    // A cookie set on the 304 is this caller's: it goes to them, and the entry is no longer shareable.
    const cookies = notModifiedAnswer.headers.getSetCookie()
    const merged = new Headers(headers)
    for (const cookie of cookies) merged.append('set-cookie', cookie)
    const verdict = responseStorability({ status: entry.meta.status, headers: merged }, options, receivedAt)
    let saved: Promise<boolean>
    let refreshed: CachedResponse
    if (verdict.store) {
      const { meta, storeTtlMs } = recordFor(verdict, entry.meta.status, headers, receivedAt)
      refreshed = { meta, body: entry.body }
      saved = write(c, baseKey, verdict.vary, refreshed, storeTtlMs).then(() => true)
    } else {
      // The 304 made it unstorable (no-store, private, Set-Cookie…): serve it this once, drop the entry.
      const answerHeaders: [string, string][] = [...headers, ...cookies.map((cookie): [string, string] => ['set-cookie', cookie])]
      refreshed = { meta: { ...entry.meta, headers: answerHeaders, freshUntil: receivedAt, staleUntil: receivedAt }, body: entry.body }
      saved = store.delete(flightKey).then(
        () => false,
        () => false,
      )
    }
    replaceResponse(c, responseFrom(refreshed, 'REVALIDATED', c.req.raw, receivedAt))
    return saved
  }

  /**
   * Stores the upstream's answer if it may be stored; c.res is replaced at once (the body is read through a tee,
   * so the client streams meanwhile). Resolves once the record is written, with whether it was.
   */
  const storeResponse = (c: Context, baseKey: string, receivedAt: number): Promise<boolean> => {
    const upstream = c.res
    const verdict = responseStorability(upstream, options, receivedAt)
    if (!verdict.store) {
      markResponse(c, 'MISS')
      return Promise.resolve(false)
    }
    const { meta, storeTtlMs } = recordFor(verdict, upstream.status, storedHeaders(upstream.headers), receivedAt)
    const save = async (body: Uint8Array | undefined): Promise<boolean> => {
      if (body === undefined) return false
      if (!NULL_BODY_STATUSES.has(meta.status)) meta.headers.push(['content-length', String(body.byteLength)])
      await write(c, baseKey, verdict.vary, { meta, body }, storeTtlMs)
      return true
    }
    if (upstream.body === null) {
      markResponse(c, 'MISS')
      return save(EMPTY)
    }
    const [toClient, toCache] = upstream.body.tee()
    const stored = readBounded(toCache, options.maxBodyBytes).then(save)
    // The client's body ends only once the record is written, so its next request finds it (one store
    // round trip added to misses); the bytes themselves stream through as they arrive.
    const held = toClient.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        flush: () =>
          stored.then(
            () => {},
            () => {},
          ),
      }),
    )
    const response = withBody(upstream, held)
    response.headers.set('x-cache', 'MISS')
    replaceResponse(c, response)
    return stored
  }

  const answer: MiddlewareHandler = async (c, next) => {
    const method = c.req.method
    if (method !== 'GET' && method !== 'HEAD') return next()

    const headers = requestHeaders(c)
    const apiKey = c.get('apiKey')
    const url = c.req.url
    const queryAt = url.indexOf('?')
    const search = queryAt < 0 ? '' : url.slice(queryAt + 1)
    // Headers that steer the origin but are not in the key never reach it from a cached route.
    const unkeyed = unkeyedSteeringHeaders(headers, options.keyHeaders)
    const body = hasRequestBody(headers)
    if (body && !options.forwardGetBody) {
      c.set('dropRequestBody', true)
      addDropped(c, ['content-length'])
    }
    if (unkeyed) addDropped(c, unkeyed)
    // A body, or a credential in the query, is something the key must not (or cannot) cover: never cached.
    if (body || hasSecretQueryParam(search, secretQueryParams) || bypassReason(headers, options, apiKey) !== undefined) {
      c.set('directWrite', false)
      await next()
      markResponse(c, 'BYPASS')
      return
    }

    const baseKey = baseCacheKey({
      path: c.get('normalizedPath') ?? normalizePath(c.req.path),
      search,
      headers,
      varyOnEncoding: options.varyOnEncoding,
      keyId: options.requireAuth && !options.shared ? apiKey?.id : undefined,
      keyHeaders: options.keyHeaders,
    })

    let settledBefore = inflight.settled
    let found = await lookup(c, baseKey)
    // A flight that settled during the read may have refreshed the entry after it: read again (a few times at most).
    for (let reads = 1; reads < 4 && inflight.settled !== settledBefore; reads++) {
      if (isFresh(found.entry, clock.now()) || inflight.has(found.flightKey)) break
      settledBefore = inflight.settled
      found = await lookup(c, baseKey)
    }
    const refreshingInBackground = background.has(c.req.raw)
    const early = found.entry
    if (!refreshingInBackground && early !== undefined && !isFresh(early, clock.now())) {
      // Within the upstream's stale-while-revalidate: answer now, and have one background request refresh it.
      const revalidateUntil = early.meta.revalidateUntil
      if (deps.refresh && revalidateUntil !== undefined && clock.now() < revalidateUntil) {
        deps.onHit?.(c)
        refreshInBackground(c, found.flightKey)
        return responseFrom(early, 'STALE', c.req.raw, clock.now())
      }
    }
    let waitedFor: FlightOutcome | undefined
    for (let waits = 0; waits < 3 && !isFresh(found.entry, clock.now()); waits++) {
      const flight = inflight.get(found.flightKey)
      if (!flight) break
      // Wait for the request already on its way upstream, then look again.
      waitedFor = await waitFor(flight, maxWaitMs)
      if (waitedFor === 'timed-out') break
      found = await lookup(c, baseKey)
      if (waitedFor !== 'stored') break
      // What it stored may be stale already (time passed on its way): then this request waits for, or leads, the
      // next request upstream like a new arrival, instead of every waiter going upstream by itself.
      waitedFor = undefined
    }
    const now = clock.now()
    const entry = found.entry
    if (entry !== undefined && isFresh(entry, now)) {
      deps.onHit?.(c)
      c.set('cacheResult', 'hit') // also when written straight to the socket, with no Response to read X-Cache from
      const status = conditionalStatus(entry, headers) as StatusCode
      const direct = status === entry.meta.status ? canWriteDirect(c) : undefined
      if (direct) return writeDirect(c, direct, status, hitHeaderPairs(entry, now), method === 'HEAD' ? null : entry.body)
      const headerValues = headerRecord(entry, status, 'HIT', now)
      // c.body keeps headers earlier stages set with c.header(); a Uint8Array body takes node-server's fast path.
      if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) return exactResponse(c.body(null, status, headerValues), null)
      return exactResponse(c.body(entry.body as Uint8Array<ArrayBuffer>, status as ContentfulStatusCode, headerValues), entry.body)
    }
    const stale = entry && now < entry.meta.staleUntil ? entry : undefined
    if (stale && waitedFor === 'upstream-failed') {
      deps.onHit?.(c)
      return responseFrom(stale, 'STALE', c.req.raw, now)
    }
    // An expired entry with a validator is revalidated: the upstream's 304 refreshes it without sending the body.
    // Otherwise the client's own preconditions are not forwarded, so that the upstream's answer is a storable 200
    // (never a 304 stored as the entry); the gateway answers them itself from that 200.
    const revalidating = entry !== undefined && hasValidator(new Headers(entry.meta.headers)) ? entry : undefined
    overrideUpstreamHeaders(c, revalidating ? revalidationHeaders(new Headers(revalidating.meta.headers)) : UNCONDITIONAL)

    // Only a GET that has not waited leads: a HEAD's answer has no body to store, and a waiter whose leader's
    // answer was not stored goes upstream by itself (it may be private, or vary in ways its key does not show).
    const settle =
      method === 'GET' && waitedFor === undefined && !inflight.has(found.flightKey) ? inflight.lead(found.flightKey) : undefined
    let outcome: FlightOutcome = 'not-stored'
    let pending: Promise<boolean> | undefined
    try {
      // The answer is read after next() (stored, marked MISS): it must come back as a Response.
      c.set('directWrite', false)
      await next()
      if (c.get('gatewayError') !== undefined || c.res.status >= 500) {
        outcome = 'upstream-failed'
        if (stale) {
          deps.onHit?.(c)
          // The failure's own body is not sent: release its upstream connection.
          c.res.body?.cancel().catch(() => {})
          replaceResponse(c, responseFrom(stale, 'STALE', c.req.raw, clock.now()))
          return
        }
      }
      deps.onMiss?.(c)
      if (revalidating && c.res.status === 304) {
        pending = storeRevalidated(c, baseKey, found.flightKey, revalidating, clock.now())
        // No body transfer to wait on: the write is awaited, so the next request finds the refreshed entry.
        await pending.catch(() => false)
        return
      }
      if (method === 'GET' && outcome !== 'upstream-failed') {
        pending = storeResponse(c, baseKey, clock.now())
        answerConditionally(c)
        // A bodiless answer has no end to hold back until the write is done: wait for it here instead.
        if (c.res.body === null) await pending.catch(() => false)
      } else {
        markResponse(c, 'MISS')
        answerConditionally(c)
      }
    } finally {
      if (pending) {
        const done = settle
        pending.then(
          (stored) => done?.(stored ? 'stored' : 'not-stored'),
          () => done?.('not-stored'),
        )
      } else settle?.(outcome)
    }
  }

  return async function cache(c, next) {
    const response = await answer(c, next)
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return response
    // For access logs and spans: what the cache did, as X-Cache says it (hit, miss, stale, revalidated, bypass).
    const status = (response ?? c.res).headers.get('x-cache')
    if (status !== null) c.set('cacheResult', status.toLowerCase())
    return response
  }
}

const addDropped = (c: Context, names: readonly string[]): void => {
  const current = c.get('dropRequestHeaders')
  c.set('dropRequestHeaders', current ? [...current, ...names] : [...names])
}
