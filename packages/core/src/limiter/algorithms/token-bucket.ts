// Token bucket: `burst` tokens at most, refilled continuously (fractionally) at `limit` per `windowMs`.
import { RateLimitAlgorithm, type LimitRule } from '../types.js'
import type { RuleOutcome, TokenBucketState } from './types.js'

/**
 * Pure token-bucket step. A new key starts full (`burst`, default `limit`). Refill is continuous:
 * `tokens + elapsed × limit / windowMs`, capped at `burst`, kept as a fraction. A request of `cost` passes
 * when `tokens ≥ cost`. `resetAt` is when the bucket is full again; `retryAfterMs` when `cost` tokens are there.
 */
export const tokenBucket = (
  state: TokenBucketState | undefined,
  rule: LimitRule,
  cost: number,
  now: number,
): RuleOutcome<TokenBucketState> => {
  const { limit, windowMs } = rule
  const capacity = rule.burst ?? limit
  let tokens = capacity
  if (state !== undefined) {
    const elapsed = Math.max(0, now - state.updatedAt)
    tokens = Math.min(capacity, state.tokens + (elapsed * limit) / windowMs)
  }
  if (tokens >= cost) {
    const left = tokens - cost
    const fullInMs = Math.ceil(((capacity - left) * windowMs) / limit)
    return {
      state: { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, tokens: left, updatedAt: now },
      allowed: true,
      remaining: Math.floor(left),
      resetAt: now + fullInMs,
      retryAfterMs: 0,
      ttlMs: Math.max(1, fullInMs),
    }
  }
  const fullInMs = Math.ceil(((capacity - tokens) * windowMs) / limit)
  return {
    state: { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, tokens, updatedAt: now },
    allowed: false,
    remaining: Math.floor(tokens),
    resetAt: now + fullInMs,
    retryAfterMs: Math.max(1, Math.ceil(((cost - tokens) * windowMs) / limit)),
    ttlMs: Math.max(1, fullInMs),
  }
}
