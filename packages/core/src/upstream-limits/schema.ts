// Upstream-aware limits' options, declared once: the route's `upstreamLimit` and the gateway's preset fields.
import { boolean, headerName, instance, integer, number, positive, text, z } from '../schema/kit.js'
import type { UpstreamPreset } from './presets.js'

export const adaptiveSchema = z
  .strictObject({
    /** Requests/s added after a quiet interval. */
    increase: positive().optional(),
    /** Share of the rate kept after a throttle (below 1). */
    decrease: z
      .number({ error: () => 'a number above 0 and below 1' })
      .gt(0, { error: () => 'a number above 0 and below 1' })
      .lt(1, { error: () => 'a number above 0 and below 1 (the share of the rate kept)' })
      .optional(),
    minRate: positive().optional(),
    maxRate: positive().optional(),
  })
  .superRefine((a, ctx) => {
    if (a.minRate !== undefined && a.maxRate !== undefined && a.minRate > a.maxRate) {
      ctx.addIssue({ code: 'custom', path: ['minRate'], message: '!must not exceed adaptive.maxRate' })
    }
  })

export const upstreamLimitSchema = z.strictObject({
  /** A preset name (`github`, `openai`, `slack`, `notion`, `airtable`, `stripe`, or one from the overrides file). */
  preset: text('a preset name').optional(),
  requestsPerSecond: positive().optional(),
  requestsPerMinute: positive().optional(),
  /** Requests that may go at once after a quiet spell. */
  burstSize: positive().optional(),
  /** Split the budget across active callers (deficit round-robin). Default true. */
  fairShare: boolean().optional(),
  /** Request header naming the caller. Fallback: the API key id (key:<id>), else client IP + '|' + user-agent (anon:…). */
  callerHeader: headerName().optional(),
  /** Longest a request waits for budget, in ms; beyond → 503 upstream_queue_timeout + Retry-After. Default 60 000. */
  maxWaitMs: number(0).optional(),
  /** Upstream statuses that mean "throttled": pause and retry. Default [429, 503]. */
  retryOn: z.array(integer(400, 599)).optional(),
  /** Retries of a throttled request (bodiless requests only). Default 5. */
  maxRetries: integer(0).optional(),
  /** Pause after a 429 without a hint, in ms (doubles per consecutive throttle). Default 1 000. */
  fallback429Ms: positive().optional(),
  /** Pause after a 503 without a hint, in ms (doubles per consecutive throttle). Default 5 000. */
  fallback503Ms: positive().optional(),
  /** ± share of a fallback pause drawn at random. Default 0.2. */
  jitter: number(0, 1).optional(),
  /** AIMD bounds, requests/s, used when no limit is configured or learned. */
  adaptive: adaptiveSchema.optional(),
  /** Most requests waiting for this upstream at once. Default 1 000. */
  maxQueueLength: positive().optional(),
  /** Most callers tracked per upstream for fair shares; past it the least recently active idle one is forgotten. Default 10 000. */
  maxCallers: integer(1, 10_000_000).optional(),
  /** Deadline of each Redis call of the shared budget, pause and AIMD rate, in ms. Default: the gateway's storeTimeoutMs. */
  storeTimeoutMs: number(1, 60_000).optional(),
})

export type UpstreamLimitOptions = z.input<typeof upstreamLimitSchema>

export const upstreamLimitRouteSchema = z.strictObject({
  /** Share a throttled upstream's budget fairly, back off together on 429/503, never leak a throttling 429. */
  upstreamLimit: upstreamLimitSchema.optional(),
})

export const upstreamGatewaySchema = z.strictObject({
  /** Upstream presets after per-tenant overrides (see loadPresetOverrides). Default: the built-in presets. */
  upstreamPresets: z
    .record(
      z.string(),
      instance<UpstreamPreset>('a preset object', (v) => typeof v === 'object' && v !== null),
    )
    .optional(),
  /** Fair-share weight of callers by API-key tier. Default free 1, basic 2, premium 4, enterprise 8. */
  upstreamTierWeights: z.record(z.string(), positive()).optional(),
})
