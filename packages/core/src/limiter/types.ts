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
  /** Index in `rules` of the rule reported (for `consumeMany`: in all entries' rules, concatenated in order). */
  ruleIndex: number
  /** Window of the rule reported, in ms (for the IETF `RateLimit-Policy` field). */
  windowMs?: number
  /**
   * Set when the decision did not come from the configured store: `'fallback'` (a local memory store
   * answered during an outage) or `'allow'` (the store failed and the `allow` policy let the request pass).
   */
  degraded?: 'fallback' | 'allow'
}

/** One key's share of a decision that spans several keys (a route limit and a caller limit, say). */
export interface LimitEntry {
  key: string
  /**
   * A namespace for the rules of this entry (e.g. `route:api-users`), so two entries with the same key
   * (the same caller) keep separate state. In Redis the key stays the hash tag: `{key}` → one slot per caller.
   */
  scope?: string
  rules: readonly LimitRule[]
  /** Units this request takes from every rule of the entry. */
  cost: number
}

/**
 * One atomic decision over all rules of a key: either every rule admits `cost` and all are consumed,
 * or none is. Memory and Redis implement it with identical semantics.
 */
export interface RateLimitStore {
  consume(key: string, rules: readonly LimitRule[], cost: number): Promise<LimitDecision>
  /**
   * One atomic decision over several keys (one Redis round trip): every rule of every entry must admit its
   * entry's cost, else nothing is consumed. Optional so that simple stores can skip it; every Tollgate store has it.
   */
  consumeMany?(entries: readonly LimitEntry[]): Promise<LimitDecision>
  /** Forget a key (all its rules, in every scope). */
  reset(key: string): Promise<void>
  close(): Promise<void>
}
