// Sliding window as a weighted counter (Cloudflare's and upstash's): two fixed sub-windows, the older one fading out.
import { RateLimitAlgorithm, type LimitRule } from '../types.js'
import type { RuleOutcome, SlidingWindowState } from './types.js'

/**
 * Pure sliding-window step. Exact semantics (the Redis script computes the same numbers):
 * - time is cut into fixed sub-windows `[k·W, (k+1)·W)` (W = windowMs, aligned to the epoch);
 *   the store keeps the count of the current one (`current`) and of the one just before (`previous`);
 * - at time `now`, `elapsed = now − start` and the estimate of the last W ms is
 *   `previous × (W − elapsed) / W + current` — the previous sub-window is assumed to have been uniform;
 * - a request of `cost` passes when `estimate + cost ≤ limit`;
 * - `remaining = ⌊limit − estimate − cost⌋` after an admitted request; `resetAt` is the current sub-window's end;
 *   `retryAfterMs` is the exact time until the estimate has decayed enough for the same cost.
 * Within one sub-window and with an empty previous one this is exact: N concurrent requests against a limit L
 * admit exactly min(N, L). Across an edge it admits at most `limit` per any W-long span when traffic was
 * uniform, and may admit up to about one request less than a log would (fractions are not rounded up).
 */
export const slidingWindow = (
  state: SlidingWindowState | undefined,
  rule: LimitRule,
  cost: number,
  now: number,
): RuleOutcome<SlidingWindowState> => {
  const { limit, windowMs } = rule
  const start = now - (now % windowMs)
  let current = 0
  let previous = 0
  if (state !== undefined) {
    if (state.start === start) {
      current = state.current
      previous = state.previous
    } else if (state.start === start - windowMs) {
      previous = state.current
    }
  }
  const elapsed = now - start
  const estimate = (previous * (windowMs - elapsed)) / windowMs + current
  const resetAt = start + windowMs
  if (estimate + cost <= limit) {
    return {
      state: { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, start, current: current + cost, previous },
      allowed: true,
      remaining: Math.max(0, Math.floor(limit - estimate - cost)),
      resetAt,
      retryAfterMs: 0,
      ttlMs: start + 2 * windowMs - now,
    }
  }
  let retryAfterMs: number
  if (current + cost <= limit) {
    // Wait within this sub-window until previous × (W − e) / W ≤ limit − current − cost.
    retryAfterMs = Math.ceil(windowMs - ((limit - current - cost) * windowMs) / previous - elapsed)
  } else {
    // Wait for the next sub-window, where `current` becomes the fading part.
    const into = current > 0 ? Math.max(0, Math.ceil(windowMs - ((limit - cost) * windowMs) / current)) : 0
    retryAfterMs = resetAt - now + into
  }
  return {
    state: { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, start, current, previous },
    allowed: false,
    remaining: Math.max(0, Math.floor(limit - estimate)),
    resetAt,
    retryAfterMs: Math.max(1, retryAfterMs),
    ttlMs: start + 2 * windowMs - now,
  }
}
