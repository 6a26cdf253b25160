// Pure pacing of an upstream budget: a sliding log of the last `burst` sends plus GCRA spacing while callers compete.
import type { UpstreamBudget } from './budget.js'

/**
 * How one budget is spent: one unit every `intervalMs` while callers compete, and at most `burst` units in any
 * `burst × intervalMs + guardMs`. The guard absorbs the jitter between the decision and the upstream's arrival
 * clock (event-loop lag, a round trip to Redis), which would otherwise let two windows' sends land in one.
 */
export interface PaceRule {
  intervalMs: number
  burst: number
  guardMs: number
}

/**
 * The guard: 5% of the burst window, at most 50 ms; twice that when the decision is taken in Redis, whose reply
 * adds its own, more variable delay before the request leaves (2 instances under a CPU hog: 11 in 1 s at 50 ms).
 */
const guardFor = (burst: number, intervalMs: number, shared: boolean): number => (shared ? 2 : 1) * Math.min(50, 0.05 * burst * intervalMs)

/** Length of the window that holds at most `burst` units. */
export const paceWindowMs = (rule: PaceRule): number => rule.burst * rule.intervalMs + rule.guardMs

/** What the pacer remembers about one budget (local copy; Redis holds the same fields for shared budgets). */
export interface PaceState {
  /** GCRA's theoretical arrival time: when the next unit is due at an even pace. */
  tat: number
  /** Send times of the last `burst` units: a ring, `next` the slot to write, `count` the slots written (≤ size). */
  log: Float64Array
  next: number
  count: number
  /** The caller that got the last unit, and when a different caller last got one. */
  lastCaller: string | undefined
  mixedAt: number
}

export const newPaceState = (): PaceState => ({
  tat: 0,
  log: new Float64Array(1),
  next: 0,
  count: 0,
  lastCaller: undefined,
  mixedAt: Number.NEGATIVE_INFINITY,
})

/** Largest burst: the send log (memory here, a list in Redis) holds this many times at most. */
export const MAX_BURST = 1_000

/** The send time `k` units back (0: the latest), or undefined when fewer were recorded. */
const sentAgo = (state: PaceState, k: number): number | undefined => {
  if (k >= state.count) return undefined
  const size = state.log.length
  return state.log[(state.next - 1 - k + 2 * size) % size]
}

/** Resizes the ring to `burst` slots, keeping the latest send times. */
const fitLog = (state: PaceState, burst: number): void => {
  if (state.log.length === burst) return
  const kept = Math.min(state.count, burst)
  const log = new Float64Array(burst)
  for (let k = 0; k < kept; k++) log[kept - 1 - k] = sentAgo(state, k) as number
  state.log = log
  state.count = kept
  state.next = kept % burst
}

/** Callers count as competing for this long after two different ones were served back to back (at least 1 s). */
export const contentionMs = (rule: PaceRule): number => Math.max(1_000, paceWindowMs(rule))

/**
 * Ms until `cost` units of `callerId` may go (0: they went, and `state` records them). Bursts of up to `rule.burst`
 * are allowed only to a lone caller; while callers compete (`othersWaiting`, or two different callers served within
 * `contentionMs`), units leave one `intervalMs` apart, so a caller that asks again right after its answer still
 * finds a slot of its own instead of a budget a burst already spent.
 * @example
 * const wait = pace(state, { intervalMs: 100, burst: 10 }, 1, 'caller-a', Date.now(), false)
 */
export const pace = (state: PaceState, rule: PaceRule, cost: number, callerId: string, now: number, othersWaiting: boolean): number => {
  const units = Math.max(1, Math.min(Math.ceil(cost), rule.burst))
  const smooth = othersWaiting || now - state.mixedAt < contentionMs(rule)
  let wait = smooth ? state.tat - now : 0
  // After these units, the window (now − burst × interval, now] must hold at most `burst` of them.
  fitLog(state, rule.burst)
  const oldest = sentAgo(state, rule.burst - units)
  if (oldest !== undefined) wait = Math.max(wait, oldest + paceWindowMs(rule) - now)
  if (wait > 0) return wait
  recordSend(state, rule, cost, callerId, now)
  return 0
}

/** Records units sent (also those a shared pacer granted), so local pacing continues from them if Redis fails. */
export const recordSend = (state: PaceState, rule: PaceRule, cost: number, callerId: string, now: number): void => {
  const units = Math.max(1, Math.min(Math.ceil(cost), rule.burst))
  fitLog(state, rule.burst)
  for (let i = 0; i < units; i++) {
    state.log[state.next] = now
    state.next = (state.next + 1) % rule.burst
    state.count = Math.min(state.count + 1, rule.burst)
  }
  state.tat = Math.max(state.tat, now) + cost * rule.intervalMs
  if (state.lastCaller !== undefined && state.lastCaller !== callerId) state.mixedAt = now
  state.lastCaller = callerId
}

/** Each configured figure as (count, window ms). */
const budgetWindows = (budget: UpstreamBudget): Array<{ count: number; windowMs: number }> =>
  [
    { count: budget.requestsPerSecond, windowMs: 1_000 },
    { count: budget.requestsPerMinute, windowMs: 60_000 },
    { count: budget.requestsPerHour, windowMs: 3_600_000 },
  ].filter((w): w is { count: number; windowMs: number } => w.count !== undefined && w.count > 0)

/**
 * The pace of a rate: bursts only for a configured rate, and only as large as keeps every configured window within
 * its count (any `windowMs` holds at most `burst × ⌈windowMs / (burst × interval)⌉` sends, so the burst is cut to
 * the largest size for which that stays ≤ count; 10/s with the default burst 10 gives 10, burstSize 4 gives 2).
 * At most MAX_BURST.
 * @example
 * paceRule(10, { requestsPerSecond: 10 }, true) // { intervalMs: 100, burst: 10, guardMs: 50 }
 */
export const paceRule = (ratePerSecond: number, budget: UpstreamBudget | undefined, configured: boolean, shared = false): PaceRule => {
  const intervalMs = 1_000 / ratePerSecond
  if (!configured || !budget) return { intervalMs, burst: 1, guardMs: guardFor(1, intervalMs, shared) }
  const windows = budgetWindows(budget)
  let burst = Math.min(MAX_BURST, Math.max(1, Math.floor(budget.burstSize ?? ratePerSecond)))
  for (const w of windows) burst = Math.min(burst, Math.max(1, Math.floor(w.count)))
  const fits = (b: number) => windows.every((w) => b * Math.ceil(w.windowMs / (b * intervalMs) - 1e-9) <= Math.floor(w.count))
  while (burst > 1 && !fits(burst)) burst--
  return { intervalMs, burst, guardMs: guardFor(burst, intervalMs, shared) }
}
