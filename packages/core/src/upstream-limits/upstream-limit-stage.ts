// The terminal step of upstreamLimit routes: queue for a permit, send, learn, retry throttles, tell the caller its share.
import { requestSignal } from '../proxy/request-signal.js'
import type { Context, MiddlewareHandler } from 'hono'
import type { Terminal } from '../host.js'
import '../context.js'
import { jsonError } from '../errors.js'
import type { Route } from '../routing/route.js'
import type { UpstreamGovernor } from './governor.js'
import { UpstreamQueueError } from './queue-error.js'
import { credentialKey } from './upstream-key.js'
import { resolveUpstreamLimit, type ResolvedUpstreamLimit } from './options.js'
import { upstreamPresets, type UpstreamPreset } from './presets.js'
import { requestHeader } from '../proxy/request-header.js'
import { ANONYMOUS_CALLER_PREFIX } from './caller-labels.js'

export interface UpstreamLimitDeps {
  /** The governor for this route's upstream and credential key (see UpstreamGovernors.governorFor). */
  governorFor(route: Route, credentialKey: string): UpstreamGovernor
  /** One upstream exchange (the gateway's forwarder): returns the upstream's response. */
  send(c: Context): Promise<Response>
  /** The caller's weight, e.g. from `c.get('apiKey')?.tier`. Default 1. */
  weightFor?(c: Context): number | undefined
  /** Presets after overrides. Default: the built-in ones. */
  presets?: Readonly<Record<string, UpstreamPreset>>
  /** The route's limit already resolved (skips resolving it again). */
  limit?: ResolvedUpstreamLimit
}

/** `Prefer: wait=N` (RFC 7240) → ms, or undefined. */
export const preferWaitMs = (prefer: string | undefined): number | undefined => {
  if (!prefer) return undefined
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(prefer)
  return match ? Number(match[1]) * 1000 : undefined
}

/**
 * Who is calling: the configured header, else `key:<id>` of the caller's API key, else an undeclared
 * `anon:<client IP>|<user-agent>` (fair among clients, but never a metric label of its own: see caller-labels.ts).
 */
export const callerIdOf = (c: Context, callerHeader: string | undefined): string => {
  const named = callerHeader ? requestHeader(c, callerHeader) : undefined
  if (named) return named
  const key = c.get('apiKey')?.id
  if (key !== undefined) return `key:${key}`
  return `${ANONYMOUS_CALLER_PREFIX}${c.get('clientIp') ?? ''}|${requestHeader(c, 'user-agent') ?? ''}`
}

/**
 * A `weightFor` that weights callers by their API key's tier (names compared case-insensitively); others get 1.
 * @example
 * upstreamLimitStage(route, { governorFor, send, weightFor: weightByTier({ free: 1, premium: 4 }) })
 */
export const weightByTier = (weights: Readonly<Record<string, number>>): ((c: Context) => number | undefined) => {
  const byName = new Map(Object.entries(weights).map(([name, weight]) => [name.toLowerCase(), weight]))
  return (c) => {
    const tier = c.get('apiKey')?.tier
    return tier === undefined ? undefined : byName.get(tier.toLowerCase())
  }
}

/**
 * The Authorization the upstream will see: none when it carried the gateway's own API key, which the auth stage
 * strips before forwarding (otherwise each gateway key would get its own budget and pause for one upstream credential).
 */
const upstreamAuthorization = (c: Context): string | undefined =>
  c.get('dropRequestHeaders')?.includes('authorization') ? undefined : requestHeader(c, 'authorization')

const REPLAYABLE = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS'])

/** Whether the request can be sent again: a bodiless method with no body announced. */
const replayable = (c: Context): boolean => {
  if (!REPLAYABLE.has(c.req.method)) return false
  const length = requestHeader(c, 'content-length')
  return !requestHeader(c, 'transfer-encoding') && (length === undefined || length.trim() === '0')
}

const WINDOW_S = 60

const LIMIT_HEADERS = ['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']

/** The upstream's answer with the caller's own share in RateLimit / RateLimit-Policy / X-RateLimit-*. */
const withShareHeaders = (response: Response, governor: UpstreamGovernor, callerId: string, weight: number, queued: number): Response => {
  const now = Date.now()
  const share = governor.shareOf(callerId, weight)
  const quota = Math.max(1, Math.floor(share * governor.rate(now).ratePerSecond * WINDOW_S))
  const remaining = Math.max(0, quota - queued)
  const resetS = Math.max(0, Math.ceil((governor.pausedUntil - now) / 1000))
  const headers = new Headers(response.headers)
  for (const name of LIMIT_HEADERS) headers.delete(name)
  headers.set('ratelimit-policy', `"upstream";q=${quota};w=${WINDOW_S}`)
  headers.set('ratelimit', `"upstream";r=${remaining};t=${resetS || WINDOW_S}`)
  headers.set('x-ratelimit-limit', String(quota))
  headers.set('x-ratelimit-remaining', String(remaining))
  headers.set('x-ratelimit-reset', String(Math.ceil(now / 1000) + (resetS || WINDOW_S)))
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

/**
 * For routes with `upstreamLimit`, the route's last step in place of the plain forward: queues the request fairly
 * for the upstream's budget, sends it with `deps.send`, lets the governor learn from the answer, and retries
 * throttled bodiless requests after the pause, so a client sees a throttling status only when `maxRetries` is spent.
 * Returns undefined for routes without `upstreamLimit` (they end with the plain forward).
 * @example
 * const terminal = upstreamLimitTerminal(route, { governorFor: governors.governorFor, send: forward }) ?? forward
 */
export const upstreamLimitTerminal = (route: Route, deps: UpstreamLimitDeps): Terminal | undefined => {
  if (!route.raw.upstreamLimit) return undefined
  const limit = deps.limit ?? resolveUpstreamLimit(route.raw.upstreamLimit, deps.presets ?? upstreamPresets)
  return async function upstreamLimit(c) {
    const callerId = callerIdOf(c, limit.callerHeader)
    const weight = deps.weightFor?.(c) ?? 1
    const resource = limit.resourceFor?.(c.req.method, new URL(c.req.url).pathname)
    const credential = credentialKey(upstreamAuthorization(c)) + (resource ? `|${resource}` : '')
    const governor = deps.governorFor(route, credential)
    const started = Date.now()
    const bound = Math.min(limit.maxWaitMs, preferWaitMs(requestHeader(c, 'prefer')) ?? Number.POSITIVE_INFINITY)
    const canRetry = replayable(c)
    const signal = requestSignal(c)
    for (let attempt = 0; ; attempt++) {
      try {
        await governor.acquire({ callerId, weight, signal, maxWaitMs: Math.max(0, bound - (Date.now() - started)) })
      } catch (error) {
        if (!(error instanceof UpstreamQueueError)) throw error
        return jsonError(c, 503, error.code, error.message, { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) })
      }
      c.set('gatewayError', undefined)
      const response = await deps.send(c)
      // The gateway's own answer (circuit open, unreachable, timeout) or a client gone: nothing the upstream said.
      if (c.get('gatewayError') !== undefined || signal.aborted) return response
      const { throttled } = governor.observe(response)
      if (throttled && canRetry && attempt < limit.maxRetries && !signal.aborted) {
        // The upstream did not process it: drop this answer and queue again (the pause holds the retry).
        // Read it to the end rather than cancel(): on Node 20, cancelling a Readable.toWeb() stream (the forwarder's
        // streamed bodies) can still enqueue a buffered chunk afterwards, an uncaught "Controller is already closed".
        await response.arrayBuffer().catch(() => {})
        continue
      }
      return withShareHeaders(response, governor, callerId, weight, governor.queuedOf(callerId))
    }
  }
}

/**
 * upstreamLimitTerminal as a Hono handler, for a plain Hono app (the gateway itself uses the terminal directly).
 * @example
 * const handler = upstreamLimitStage(route, { governorFor: governors.governorFor, send: forward })
 * if (handler) app.all(route.prefix + '/*', handler)
 */
export const upstreamLimitStage = (route: Route, deps: UpstreamLimitDeps): MiddlewareHandler | undefined => {
  const terminal = upstreamLimitTerminal(route, deps)
  return terminal && ((c) => terminal(c))
}
