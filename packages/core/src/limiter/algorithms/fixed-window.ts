// Fixed window: at most `limit` units per window aligned to multiples of `windowMs` since the epoch.
import { RateLimitAlgorithm, type LimitRule } from '../types.js'
import type { FixedWindowState, RuleOutcome } from './types.js'

/**
 * Pure fixed-window step. Windows are `[k·windowMs, (k+1)·windowMs)`; a request of `cost` passes when
 * `count + cost ≤ limit`. The whole count resets at the window's end (so up to 2×limit can pass around an edge).
 */
export const fixedWindow = (
  state: FixedWindowState | undefined,
  rule: LimitRule,
  cost: number,
  now: number,
): RuleOutcome<FixedWindowState> => {
  const { limit, windowMs } = rule
  const start = now - (now % windowMs)
  const count = state !== undefined && state.start === start ? state.count : 0
  const resetAt = start + windowMs
  if (count + cost <= limit) {
    const next: FixedWindowState = { algorithm: RateLimitAlgorithm.FIXED_WINDOW, start, count: count + cost }
    return { state: next, allowed: true, remaining: Math.floor(limit - next.count), resetAt, retryAfterMs: 0, ttlMs: resetAt - now }
  }
  return {
    state: { algorithm: RateLimitAlgorithm.FIXED_WINDOW, start, count },
    allowed: false,
    remaining: Math.max(0, Math.floor(limit - count)),
    resetAt,
    retryAfterMs: resetAt - now,
    ttlMs: resetAt - now,
  }
}
