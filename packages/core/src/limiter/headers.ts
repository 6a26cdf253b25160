// Rate limit response headers (legacy X-RateLimit-*, IETF draft RateLimit/RateLimit-Policy) and the 429 answer.
import type { Context } from 'hono'
import { jsonError } from '../errors.js'
import type { LimitDecision } from './types.js'

/** `'legacy'` X-RateLimit-*, `'draft'` IETF RateLimit + RateLimit-Policy, `'both'`, or `false` for none. */
export type RateLimitHeadersMode = 'legacy' | 'draft' | 'both' | false

/**
 * Sets the headers of a decision (the rule closest to exhaustion, or the one that rejected).
 * Legacy: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (Unix epoch seconds, rounded up).
 * Draft (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "default";q=<limit>;w=<window s>` and
 * `RateLimit: "default";r=<remaining>;t=<seconds to reset>`.
 */
export const setRateLimitHeaders = (c: Context, decision: LimitDecision, mode: RateLimitHeadersMode, now = Date.now()): void =>
  writeRateLimitHeaders((name, value) => c.header(name, value), decision, mode, now)

/**
 * Adds the headers to the response already produced (after `await next()`): cheaper than `c.header()` before it,
 * which makes Hono merge a second Headers object into every response. An immutable response is copied once.
 */
export const addRateLimitHeaders = (c: Context, decision: LimitDecision, mode: RateLimitHeadersMode, now = Date.now()): void => {
  if (mode === false || decision.ruleIndex < 0 || decision.degraded === 'allow') return
  let headers = c.res.headers
  try {
    writeRateLimitHeaders((name, value) => headers.set(name, value), decision, mode, now)
  } catch {
    c.res = new Response(c.res.body, c.res)
    headers = c.res.headers
    writeRateLimitHeaders((name, value) => headers.set(name, value), decision, mode, now)
  }
}

/** The headers as a flat [name, value, …] list, for an answer written straight to the socket. */
export const rateLimitHeaderPairs = (decision: LimitDecision, mode: RateLimitHeadersMode, now = Date.now()): string[] => {
  const pairs: string[] = []
  writeRateLimitHeaders((name, value) => void pairs.push(name, value), decision, mode, now)
  return pairs
}

const writeRateLimitHeaders = (
  set: (name: string, value: string) => void,
  decision: LimitDecision,
  mode: RateLimitHeadersMode,
  now: number,
): void => {
  if (mode === false || decision.ruleIndex < 0 || decision.degraded === 'allow') return
  if (mode === 'legacy' || mode === 'both') {
    set('X-RateLimit-Limit', String(decision.limit))
    set('X-RateLimit-Remaining', String(decision.remaining))
    set('X-RateLimit-Reset', String(Math.ceil(decision.resetAt / 1000)))
  }
  if (mode === 'draft' || mode === 'both') {
    const windowS = Math.max(1, Math.ceil((decision.windowMs ?? 0) / 1000))
    const resetS = Math.max(0, Math.ceil((decision.resetAt - now) / 1000))
    set('RateLimit-Policy', `"default";q=${decision.limit};w=${windowS}`)
    set('RateLimit', `"default";r=${decision.remaining};t=${resetS}`)
  }
}

/** Seconds for Retry-After: the decision's wait rounded up, at least 1. */
export const retryAfterSeconds = (decision: LimitDecision): number => Math.max(1, Math.ceil(decision.retryAfterMs / 1000))

/** The 429: headers per `mode`, always `Retry-After`, and `{ "error": { "code": "rate_limited", … } }`. */
export const rateLimitedResponse = (c: Context, decision: LimitDecision, mode: RateLimitHeadersMode, now = Date.now()): Response => {
  setRateLimitHeaders(c, decision, mode, now)
  const seconds = retryAfterSeconds(decision)
  return jsonError(c, 429, 'rate_limited', `Rate limit exceeded; retry in ${seconds} s`, { 'Retry-After': String(seconds) })
}
