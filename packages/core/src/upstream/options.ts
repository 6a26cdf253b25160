// The `upstreamLimit` route option: declared on RouteOptions, validated, merged over its preset.
import type { AIMDOptions } from './aimd.js'
import type { UpstreamBudget } from './budget.js'
import { UpstreamConfigError, upstreamPresets, type UpstreamPreset } from './presets.js'

export interface UpstreamLimitOptions {
  /** A preset name (`github`, `openai`, `slack`, `notion`, `airtable`, `stripe`, or one from the overrides file). */
  preset?: string
  requestsPerSecond?: number
  requestsPerMinute?: number
  /** Requests that may go at once after a quiet spell. */
  burstSize?: number
  /** Split the budget across active callers (deficit round-robin). Default true. */
  fairShare?: boolean
  /** Request header naming the caller. Fallback: client IP + '|' + user-agent. */
  callerHeader?: string
  /** Longest a request waits for budget, in ms; beyond → 503 upstream_queue_timeout + Retry-After. Default 60 000. */
  maxWaitMs?: number
  /** Upstream statuses that mean "throttled": pause and retry. Default [429, 503]. */
  retryOn?: number[]
  /** Retries of a throttled request (bodiless requests only). Default 5. */
  maxRetries?: number
  /** Pause after a 429 without a hint, in ms (doubles per consecutive throttle). Default 1 000. */
  fallback429Ms?: number
  /** Pause after a 503 without a hint, in ms (doubles per consecutive throttle). Default 5 000. */
  fallback503Ms?: number
  /** ± share of a fallback pause drawn at random. Default 0.2. */
  jitter?: number
  /** AIMD bounds, requests/s, used when no limit is configured or learned. */
  adaptive?: Partial<Pick<AIMDOptions, 'increase' | 'decrease' | 'minRate' | 'maxRate'>>
  /** Most requests waiting for this upstream at once. Default 1 000. */
  maxQueueLength?: number
  /** Most callers tracked per upstream for fair shares; past it the least recently active idle one is forgotten. Default 10 000. */
  maxCallers?: number
  /** Deadline of each Redis call of the shared budget, pause and AIMD rate, in ms. Default: the gateway's storeTimeoutMs. */
  storeTimeoutMs?: number
}

declare module '../routing/route.js' {
  interface RouteOptions {
    /** Share a throttled upstream's budget fairly, back off together on 429/503, never leak a throttling 429. */
    upstreamLimit?: UpstreamLimitOptions
  }
}

/** Every option with its default applied, plus what the preset adds. */
export interface ResolvedUpstreamLimit {
  preset: string | undefined
  budget: UpstreamBudget | undefined
  fairShare: boolean
  callerHeader: string | undefined
  maxWaitMs: number
  retryOn: readonly number[]
  maxRetries: number
  fallback429Ms: number
  fallback503Ms: number
  jitter: number
  adaptive: Partial<Pick<AIMDOptions, 'increase' | 'decrease' | 'minRate' | 'maxRate'>>
  initialRatePerSecond: number | undefined
  maxQueueLength: number
  maxCallers: number
  storeTimeoutMs: number | undefined
  resourceFor: UpstreamPreset['resourceFor']
}

const FIELDS = new Set([
  'preset',
  'requestsPerSecond',
  'requestsPerMinute',
  'burstSize',
  'fairShare',
  'callerHeader',
  'maxWaitMs',
  'retryOn',
  'maxRetries',
  'fallback429Ms',
  'fallback503Ms',
  'jitter',
  'adaptive',
  'maxQueueLength',
  'maxCallers',
  'storeTimeoutMs',
])

const check = (ok: boolean, field: string, message: string): void => {
  if (!ok) throw new UpstreamConfigError(field, message)
}

const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0

/**
 * Validates `upstreamLimit` and merges it over its preset (route fields win). Throws UpstreamConfigError naming
 * the field (`upstreamLimit.maxWaitMs: …`).
 * @example
 * resolveUpstreamLimit({ preset: 'github', maxWaitMs: 10_000 })
 */
export const resolveUpstreamLimit = (
  options: UpstreamLimitOptions,
  presets: Readonly<Record<string, UpstreamPreset>> = upstreamPresets,
  field = 'upstreamLimit',
): ResolvedUpstreamLimit => {
  check(typeof options === 'object' && options !== null && !Array.isArray(options), field, 'must be an object')
  for (const key of Object.keys(options)) check(FIELDS.has(key), `${field}.${key}`, 'is not an upstreamLimit option')
  const o = options
  let preset: UpstreamPreset | undefined
  if (o.preset !== undefined) {
    preset = presets[o.preset]
    check(preset !== undefined, `${field}.preset`, `unknown preset "${o.preset}"; known: ${Object.keys(presets).sort().join(', ')}`)
  }
  for (const key of [
    'requestsPerSecond',
    'requestsPerMinute',
    'burstSize',
    'fallback429Ms',
    'fallback503Ms',
    'maxQueueLength',
    'maxCallers',
    'storeTimeoutMs',
  ] as const) {
    if (o[key] !== undefined) check(isPositive(o[key]), `${field}.${key}`, `must be a positive number, got ${JSON.stringify(o[key])}`)
  }
  if (o.maxWaitMs !== undefined) check(typeof o.maxWaitMs === 'number' && o.maxWaitMs >= 0, `${field}.maxWaitMs`, 'must be a number ≥ 0')
  if (o.maxRetries !== undefined)
    check(Number.isInteger(o.maxRetries) && o.maxRetries >= 0, `${field}.maxRetries`, 'must be an integer ≥ 0')
  if (o.jitter !== undefined)
    check(typeof o.jitter === 'number' && o.jitter >= 0 && o.jitter <= 1, `${field}.jitter`, 'must be between 0 and 1')
  if (o.fairShare !== undefined) check(typeof o.fairShare === 'boolean', `${field}.fairShare`, 'must be a boolean')
  if (o.callerHeader !== undefined) {
    check(
      typeof o.callerHeader === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(o.callerHeader),
      `${field}.callerHeader`,
      'must be a header name',
    )
  }
  if (o.retryOn !== undefined) {
    check(
      Array.isArray(o.retryOn) && o.retryOn.every((s) => Number.isInteger(s) && s >= 400 && s <= 599),
      `${field}.retryOn`,
      'must be a list of 4xx/5xx status codes',
    )
  }
  const adaptive = { ...preset?.adaptive, ...o.adaptive }
  if (o.adaptive !== undefined) {
    check(typeof o.adaptive === 'object' && o.adaptive !== null, `${field}.adaptive`, 'must be an object')
    for (const key of Object.keys(o.adaptive)) {
      check(['increase', 'decrease', 'minRate', 'maxRate'].includes(key), `${field}.adaptive.${key}`, 'is not an adaptive option')
      check(isPositive((o.adaptive as Record<string, unknown>)[key]), `${field}.adaptive.${key}`, 'must be a positive number')
    }
  }
  if (adaptive.decrease !== undefined)
    check(adaptive.decrease < 1, `${field}.adaptive.decrease`, 'must be below 1 (the share of the rate cut)')
  if (adaptive.minRate !== undefined && adaptive.maxRate !== undefined) {
    check(adaptive.minRate <= adaptive.maxRate, `${field}.adaptive.minRate`, 'must not exceed adaptive.maxRate')
  }

  // Route fields replace the preset's rate as a whole: a route's requestsPerSecond must not be capped by the preset's per-hour figure.
  const routeRate = o.requestsPerSecond !== undefined || o.requestsPerMinute !== undefined
  const budget: UpstreamBudget = routeRate
    ? {
        ...(o.requestsPerSecond !== undefined && { requestsPerSecond: o.requestsPerSecond }),
        ...(o.requestsPerMinute !== undefined && { requestsPerMinute: o.requestsPerMinute }),
      }
    : {
        ...(preset?.requestsPerSecond !== undefined && { requestsPerSecond: preset.requestsPerSecond }),
        ...(preset?.requestsPerMinute !== undefined && { requestsPerMinute: preset.requestsPerMinute }),
        ...(preset?.requestsPerHour !== undefined && { requestsPerHour: preset.requestsPerHour }),
      }
  const burstSize = o.burstSize ?? preset?.burstSize
  if (burstSize !== undefined) budget.burstSize = burstSize
  const hasRate = budget.requestsPerSecond !== undefined || budget.requestsPerMinute !== undefined || budget.requestsPerHour !== undefined

  return {
    preset: preset?.name,
    budget: hasRate ? budget : undefined,
    fairShare: o.fairShare ?? true,
    callerHeader: o.callerHeader?.toLowerCase(),
    maxWaitMs: o.maxWaitMs ?? 60_000,
    retryOn: o.retryOn ?? preset?.retryOn ?? [429, 503],
    maxRetries: o.maxRetries ?? 5,
    fallback429Ms: o.fallback429Ms ?? preset?.fallback429Ms ?? 1_000,
    fallback503Ms: o.fallback503Ms ?? preset?.fallback503Ms ?? 5_000,
    jitter: o.jitter ?? 0.2,
    adaptive,
    initialRatePerSecond: preset?.initialRatePerSecond,
    maxQueueLength: o.maxQueueLength ?? 1_000,
    maxCallers: o.maxCallers ?? 10_000,
    storeTimeoutMs: o.storeTimeoutMs,
    resourceFor: preset?.resourceFor,
  }
}
