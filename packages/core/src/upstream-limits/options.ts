// The `upstreamLimit` route option: declared on RouteOptions, validated, merged over its preset.
import type { AIMDOptions } from './aimd.js'
import type { UpstreamBudget } from './budget.js'
import type { z } from 'zod'
import { parseOptions } from '../schema/parse.js'
import { UpstreamConfigError, upstreamPresets, type UpstreamPreset } from './presets.js'
import { type UpstreamLimitOptions, type upstreamGatewaySchema, type upstreamLimitRouteSchema, upstreamLimitSchema } from './schema.js'

export type { UpstreamLimitOptions } from './schema.js'

declare module '../options.js' {
  interface GatewayOptions extends z.input<typeof upstreamGatewaySchema> {}
}

declare module '../routing/route.js' {
  interface RouteOptions extends z.input<typeof upstreamLimitRouteSchema> {}
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

/**
 * Validates `upstreamLimit` (upstream/schema.ts) and merges it over its preset (route fields win).
 * @throws ConfigError naming the field (`upstreamLimit.maxWaitMs must be …`, an unknown preset with the known ones).
 * @example
 * resolveUpstreamLimit({ preset: 'github', maxWaitMs: 10_000 })
 */
export const resolveUpstreamLimit = (
  options: UpstreamLimitOptions | undefined,
  presets: Readonly<Record<string, UpstreamPreset>> = upstreamPresets,
  field = 'upstreamLimit',
): ResolvedUpstreamLimit => {
  const o = parseOptions(upstreamLimitSchema, options ?? {}, field)
  let preset: UpstreamPreset | undefined
  if (o.preset !== undefined) {
    preset = presets[o.preset]
    if (preset === undefined) {
      throw new UpstreamConfigError(
        `${field}.preset`,
        `must be a known preset (${Object.keys(presets).sort().join(', ')}), got "${o.preset}"`,
      )
    }
  }
  const adaptive = { ...preset?.adaptive, ...o.adaptive }
  if (adaptive.minRate !== undefined && adaptive.maxRate !== undefined && adaptive.minRate > adaptive.maxRate) {
    throw new UpstreamConfigError(`${field}.adaptive.minRate`, 'must not exceed adaptive.maxRate (with the preset applied)')
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
