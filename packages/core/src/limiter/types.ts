// The rate limiting contract: rules, decisions and the store every algorithm runs on (memory or Redis).

export enum RateLimitAlgorithm {
  SLIDING_WINDOW = 'sliding_window',
  TOKEN_BUCKET = 'token_bucket',
  FIXED_WINDOW = 'fixed_window',
}

/** One window of a limit: `limit` units per `windowMs`. For a token bucket: refill `limit` per `windowMs`, capacity `burst`. */
export interface LimitRule {
  algorithm: RateLimitAlgorithm
  limit: number
  windowMs: number
  /** Token bucket capacity; default `limit`. */
  burst?: number
}

/** The outcome of one decision, reported for the rule closest to exhaustion (or the one that rejected). */
export interface LimitDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Epoch ms when the binding rule's window resets (or the bucket is full again). */
  resetAt: number
  /** Ms until a request of the same cost could pass; 0 when allowed. */
  retryAfterMs: number
  /** Index in `rules` of the rule reported. */
  ruleIndex: number
}

/**
 * One atomic decision over all rules of a key: either every rule admits `cost` and all are consumed,
 * or none is. Memory and Redis implement it with identical semantics.
 */
export interface RateLimitStore {
  consume(key: string, rules: readonly LimitRule[], cost: number): Promise<LimitDecision>
  /** Forget a key (all its rules). */
  reset(key: string): Promise<void>
  close(): Promise<void>
}
