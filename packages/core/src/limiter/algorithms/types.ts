// What every pure limiter algorithm returns: its next state and its verdict for one rule.
import type { RateLimitAlgorithm } from '../types.js'

export interface FixedWindowState {
  readonly algorithm: RateLimitAlgorithm.FIXED_WINDOW
  /** Epoch ms where the current window began (a multiple of windowMs). */
  readonly start: number
  readonly count: number
}

export interface SlidingWindowState {
  readonly algorithm: RateLimitAlgorithm.SLIDING_WINDOW
  /** Epoch ms where the current fixed sub-window began (a multiple of windowMs). */
  readonly start: number
  readonly current: number
  readonly previous: number
}

export interface TokenBucketState {
  readonly algorithm: RateLimitAlgorithm.TOKEN_BUCKET
  /** Tokens left at `updatedAt` (fractional). */
  readonly tokens: number
  readonly updatedAt: number
}

export type RuleState = FixedWindowState | SlidingWindowState | TokenBucketState

/** One rule's verdict. `state` is what to store when the whole decision is admitted. */
export interface RuleOutcome<S extends RuleState = RuleState> {
  state: S
  allowed: boolean
  /** Whole units left after this request (0 when rejected and empty). */
  remaining: number
  resetAt: number
  retryAfterMs: number
  /** How long the stored state matters; the store's TTL for it. */
  ttlMs: number
}
