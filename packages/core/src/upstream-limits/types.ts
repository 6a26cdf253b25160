// The governor's contract: its options, what acquire() grants, what observe() learns and what status() reports.
import type { Clock } from '../clock.js'
import type { AIMDOptions } from './aimd.js'
import type { UpstreamBudget } from './budget.js'
import type { CallerStats } from './fair-queue.js'
import type { ThrottleHints } from './hints.js'
import type { UpstreamRedis } from './shared-state.js'

export interface UpstreamGovernorOptions {
  /** Identifies the upstream + credential (+ resource): see `upstreamKey()`. */
  key: string
  budget?: UpstreamBudget
  adaptive?: Partial<AIMDOptions>
  /** Rate AIMD starts from when nothing is configured or learned. Default 1 request/s (within min/max). */
  initialRatePerSecond?: number
  /** Statuses that mean "throttled": pause, and retry the request. Default [429, 503]. */
  retryOn?: readonly number[]
  /** Pause after a throttle without a hint, in ms; doubles per consecutive throttle. Defaults 1 000 / 5 000. */
  fallback429Ms?: number
  fallback503Ms?: number
  /** Longest fallback pause, in ms. Default 60 000. */
  maxFallbackMs?: number
  /** ± share of a fallback pause drawn at random. Default 0.2. */
  jitter?: number
  /** Longest a request may wait in the queue, in ms. Default 60 000. */
  maxWaitMs?: number
  maxQueueLength?: number
  /** A caller idle this long drops out of the share. Default 30 000 ms. */
  idleMs?: number
  /** Most callers tracked for shares and statistics; past it the least recently active idle one is forgotten. Default 10 000. */
  maxCallers?: number
  fairShare?: boolean
  /** Shares the budget, the pause and the AIMD rate across instances. Absent: every figure is local. */
  redis?: UpstreamRedis
  /** Deadline of each Redis call, in ms; past it the governor paces locally. Default DEFAULT_STORE_TIMEOUT_MS. */
  storeTimeoutMs?: number
  /** After a Redis failure or timeout, pace locally this long before trying Redis again. Default 1 000 ms. */
  storeRetryMs?: number
  /** Redis key prefix. Default "tollgate". */
  prefix?: string
  clock?: Clock
  random?: () => number
  /** Called when the store or Redis fails (the governor keeps going on local state). */
  onError?: (error: Error) => void
}

export interface AcquireOptions {
  callerId: string
  /** Relative share of this caller. Default 1. */
  weight?: number
  /** Budget units. Default 1. */
  cost?: number
  signal?: AbortSignal
  /** Per-request bound (e.g. from `Prefer: wait=N`); the governor's maxWaitMs still caps it. */
  maxWaitMs?: number
}

/** Leave to send one request. */
export interface Permit {
  callerId: string
  waitedMs: number
  /** The caller's share of the budget (0..1) when it was granted. */
  share: number
  /** The upstream rate in force, requests/s. */
  ratePerSecond: number
}

export interface ObserveResult {
  /** The status is one of retryOn: the upstream did not process the request. */
  throttled: boolean
  /** Ms until sending may resume (0 when not paused). */
  retryAfterMs: number
  hints: ThrottleHints
}

export type RateSource = 'configured' | 'learned' | 'adaptive'

export interface UpstreamStatus {
  key: string
  ratePerSecond: number
  rateSource: RateSource
  /** Epoch ms, or null when not paused. */
  pausedUntil: number | null
  throttles: number
  queued: number
  callers: Array<CallerStats & { ratePerSecond: number }>
}
