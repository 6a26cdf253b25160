// rateLimit(): the standalone Hono middleware; rateLimitStage(): the gateway's rate limit stage.
import type { Context, MiddlewareHandler } from 'hono'
import { systemClock, type Clock } from '../clock.js'
import { GatewayError, gatewayErrorResponse } from '../errors.js'
import type { Route } from '../routing/route.js'
import { DEFAULT_STORE_TIMEOUT_MS } from './store/deadline.js'
import { GuardedStore, callMany, type StoreFailurePolicy } from './store/guarded-store.js'
import { MemoryStore } from './store/memory-store.js'
import { StoreError } from './store/store-error.js'
import { TIER_RATE_LIMITS, parseTier, resolveRateLimit, type RateLimitConfig, type ResolvedRateLimit, type Tier } from './config.js'
import { addAnswerHeaders, wasWrittenDirect } from '../proxy/direct-write.js'
import { addRateLimitHeaders, rateLimitHeaderPairs, rateLimitedResponse, type RateLimitHeadersMode } from './headers.js'
import './options.js'
import type { LimitDecision, LimitEntry, RateLimitStore } from './types.js'

export interface RateLimitOptions extends RateLimitConfig {
  /** Default: a new MemoryStore. Any other store is guarded with `storeTimeoutMs` and `onStoreFailure`. */
  store?: RateLimitStore
  /** Default `'legacy'`. */
  headers?: RateLimitHeadersMode
  /** Default `'fallback'` (a local memory store answers while the store is down). */
  onStoreFailure?: StoreFailurePolicy
  /** Longest a decision waits for the store, in ms. Default DEFAULT_STORE_TIMEOUT_MS. */
  storeTimeoutMs?: number
  /** Keeps this limiter's state apart from others sharing the store. Default: none. */
  scope?: string
  /** Called for every 429 (metrics). */
  onRejected?: (c: Context, decision: LimitDecision) => void
  /** Time for the draft header's `t` (seconds to reset). Default: Date.now(). */
  clock?: Clock
}

/** Answers a store outage under the `deny` policy (503), or rethrows. */
const storeFailureResponse = (c: Context, error: unknown): Response => {
  if (error instanceof GatewayError) return gatewayErrorResponse(c, error)
  if (error instanceof StoreError) {
    return gatewayErrorResponse(
      c,
      new GatewayError(503, 'store_unavailable', 'Rate limit store unavailable; try again shortly', { cause: error }),
    )
  }
  throw error
}

const decide = async (
  c: Context,
  next: () => Promise<void>,
  store: RateLimitStore,
  entries: readonly LimitEntry[],
  mode: RateLimitHeadersMode,
  onRejected: ((c: Context, decision: LimitDecision) => void) | undefined,
  clock: Clock,
): Promise<Response | void> => {
  let decision: LimitDecision
  try {
    // A memory store decides synchronously: no promise to wait for on the hot path.
    decision = store instanceof MemoryStore ? store.consumeSync(entries) : await callMany(store, entries)
  } catch (error) {
    c.set('rateLimitDecision', 'error')
    return storeFailureResponse(c, error)
  }
  c.set('rateLimitDecision', decision.allowed ? 'allowed' : 'limited')
  if (!decision.allowed) {
    onRejected?.(c, decision)
    return rateLimitedResponse(c, decision, mode, clock.now())
  }
  // On a direct-write route the forwarder writes the answer before next() resolves: hand it the headers first.
  if (mode !== false && c.get('directWrite') === true) addAnswerHeaders(c, rateLimitHeaderPairs(decision, mode, clock.now()))
  await next()
  if (mode !== false && !wasWrittenDirect(c.res)) addRateLimitHeaders(c, decision, mode, clock.now())
}

/**
 * A rate limit for any Hono app: one RateLimitConfig, per caller (`keyBy`), on a memory or Redis store.
 * @example
 * app.use('/api/*', rateLimit({ requestsPerMinute: 60, keyBy: 'x-api-key' }))
 * app.use('/api/*', rateLimit({ requestsPerSecond: 5, burstSize: 20, algorithm: 'token_bucket', store: new RedisStore({ client }) }))
 */
export const rateLimit = (options: RateLimitOptions): MiddlewareHandler => {
  const { store: given, headers = 'legacy', onStoreFailure, storeTimeoutMs, scope, onRejected, clock = systemClock, ...config } = options
  const limit = resolveRateLimit(config, 'rateLimit')
  const store =
    given === undefined
      ? new MemoryStore()
      : given instanceof MemoryStore || given instanceof GuardedStore
        ? given
        : new GuardedStore(given, { timeoutMs: storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, onStoreFailure: onStoreFailure ?? 'fallback' })
  return async function rateLimit(c, next) {
    const entry: LimitEntry = { key: limit.keyBy(c), rules: limit.rules, cost: limit.cost }
    if (scope !== undefined) entry.scope = scope
    return decide(c, next, store, [entry], headers, onRejected, clock)
  }
}

export interface RateLimitStageDeps {
  /** The gateway's store, already guarded (GuardedStore). */
  store: RateLimitStore
  /** The caller limit when the API key has no limit or tier of its own. */
  defaultRateLimit?: RateLimitConfig
  /** The tier a client id (API key id or IP) was put on with setClientTier, if any. */
  clientTier(id: string): Tier | undefined
  /** Default `'legacy'`. */
  headers?: RateLimitHeadersMode
  /** Called for every 429: count `requests_rate_limited` and the route's rejections here. */
  onRejected?(c: Context): void
  /** The gateway's clock (for the draft header's seconds-to-reset). Default: Date.now(). */
  clock?: Clock
}

/** Resolved API key limits, by the key record's rateLimit object. */
const keyLimits = new WeakMap<object, ResolvedRateLimit>()

const callerLimit = (c: Context, deps: RateLimitStageDeps, fallback: ResolvedRateLimit | undefined): ResolvedRateLimit | undefined => {
  const apiKey = c.get('apiKey')
  const own = apiKey?.rateLimit
  if (typeof own === 'object' && own !== null) {
    let resolved = keyLimits.get(own)
    if (!resolved) {
      resolved = resolveRateLimit(own, `apiKey(${apiKey!.id}).rateLimit`)
      keyLimits.set(own, resolved)
    }
    return resolved
  }
  const tier = parseTier(apiKey?.tier) ?? deps.clientTier(c.get('clientId') ?? apiKey?.id ?? c.get('clientIp'))
  if (tier !== undefined) return TIER_RATE_LIMITS[tier]
  return fallback
}

/**
 * The gateway's rate limit stage for one route: the route's own limit (per caller, scope `route:<id>`) and the
 * caller's limit (its API key's, else its tier's, else `defaultRateLimit`; no scope) are decided together in
 * one atomic store call; a request rejected by any rule consumes from none. The request's cost is the route's
 * `cost` (default 1) and applies to the caller's limit too. Returns undefined for `rateLimit: false` routes.
 * @example
 * const stage = rateLimitStage(route, { store, defaultRateLimit, clientTier: (id) => tiers.get(id) })
 * if (stage) handlers.push(stage)
 */
export const rateLimitStage = (route: Route, deps: RateLimitStageDeps): MiddlewareHandler | undefined => {
  const raw = route.raw.rateLimit
  if (raw === false) return undefined
  const routeLimit = raw === undefined ? undefined : resolveRateLimit(raw, 'options.rateLimit')
  const defaultLimit = deps.defaultRateLimit === undefined ? undefined : resolveRateLimit(deps.defaultRateLimit, 'defaultRateLimit')
  const scope = `route:${route.id}`
  const mode = deps.headers ?? 'legacy'
  const onRejected = deps.onRejected && ((c: Context) => deps.onRejected!(c))
  const clock = deps.clock ?? systemClock
  return async function rateLimitStage(c, next) {
    const entries: LimitEntry[] = []
    if (routeLimit) entries.push({ key: routeLimit.keyBy(c), scope, rules: routeLimit.rules, cost: routeLimit.cost })
    const caller = callerLimit(c, deps, defaultLimit)
    if (caller) entries.push({ key: caller.keyBy(c), rules: caller.rules, cost: routeLimit ? routeLimit.cost : caller.cost })
    if (entries.length === 0) return next()
    return decide(c, next, deps.store, entries, mode, onRejected, clock)
  }
}
