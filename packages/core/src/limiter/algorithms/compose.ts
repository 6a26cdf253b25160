// All-or-nothing composition of several rules (windows, keys) into one decision.
import { RateLimitAlgorithm, type LimitDecision, type LimitRule } from '../types.js'
import { fixedWindow } from './fixed-window.js'
import { slidingWindow } from './sliding-window.js'
import { tokenBucket } from './token-bucket.js'
import type { RuleOutcome, RuleState } from './types.js'

/** One rule with its stored state and the cost it is asked for. */
export interface RuleInput {
  rule: LimitRule
  state: RuleState | undefined
  cost: number
}

export interface Composed {
  decision: LimitDecision
  /** Per input, in order; store `outcome.state` with `outcome.ttlMs` only when `decision.allowed`. */
  outcomes: RuleOutcome[]
}

/** Runs one rule's algorithm; a state left by another algorithm (config changed) counts as absent. */
export const applyRule = (rule: LimitRule, state: RuleState | undefined, cost: number, now: number): RuleOutcome => {
  const own = state !== undefined && state.algorithm === rule.algorithm ? state : undefined
  switch (rule.algorithm) {
    case RateLimitAlgorithm.FIXED_WINDOW:
      return fixedWindow(own as Parameters<typeof fixedWindow>[0], rule, cost, now)
    case RateLimitAlgorithm.TOKEN_BUCKET:
      return tokenBucket(own as Parameters<typeof tokenBucket>[0], rule, cost, now)
    case RateLimitAlgorithm.SLIDING_WINDOW:
      return slidingWindow(own as Parameters<typeof slidingWindow>[0], rule, cost, now)
    default:
      throw new TypeError(`unknown rate limit algorithm: ${String((rule as LimitRule).algorithm)}`)
  }
}

/**
 * Pure multi-rule decision: admitted only when every rule admits its cost (then all new states are stored);
 * rejected otherwise (then no state changes). Reported rule: when admitted, the one with the fewest remaining
 * units (first on a tie); when rejected, the rejecting rule with the longest wait (first on a tie).
 * @example
 * const { decision, outcomes } = compose([{ rule, state: undefined, cost: 1 }], Date.now())
 */
export const compose = (inputs: readonly RuleInput[], now: number): Composed => {
  const outcomes: RuleOutcome[] = []
  let allowed = true
  let pick = -1
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!
    const outcome = applyRule(input.rule, input.state, input.cost, now)
    outcomes.push(outcome)
    if (!outcome.allowed) {
      if (allowed || outcome.retryAfterMs > outcomes[pick]!.retryAfterMs) pick = i
      allowed = false
    } else if (allowed && (pick < 0 || outcome.remaining < outcomes[pick]!.remaining)) {
      pick = i
    }
  }
  if (pick < 0) {
    return { decision: { allowed: true, limit: 0, remaining: 0, resetAt: now, retryAfterMs: 0, ruleIndex: -1 }, outcomes }
  }
  return { decision: decisionOf(inputs[pick]!.rule, outcomes[pick]!, pick, allowed), outcomes }
}

/** The decision reported for one rule's outcome (at `ruleIndex`); `allowed` is the whole decision's verdict. */
export const decisionOf = (rule: LimitRule, outcome: RuleOutcome, ruleIndex: number, allowed = outcome.allowed): LimitDecision => ({
  allowed,
  limit: rule.algorithm === RateLimitAlgorithm.TOKEN_BUCKET ? (rule.burst ?? rule.limit) : rule.limit,
  remaining: outcome.remaining,
  resetAt: outcome.resetAt,
  retryAfterMs: allowed ? 0 : outcome.retryAfterMs,
  ruleIndex,
  windowMs: rule.windowMs,
})
