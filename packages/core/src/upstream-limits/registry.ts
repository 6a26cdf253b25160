// One UpstreamGovernor per upstream + credential (+ resource), created on first use from the route's upstreamLimit.
import type { Clock } from '../clock.js'
import type { Route } from '../routing/route.js'
import { boundedStatus } from './caller-labels.js'
import { UpstreamGovernor } from './governor.js'
import type { UpstreamStatus } from './types.js'
import { resolveUpstreamLimit, type ResolvedUpstreamLimit } from './options.js'
import { upstreamPresets, type UpstreamPreset } from './presets.js'
import type { UpstreamRedis } from './shared-state.js'
import { upstreamKey } from './upstream-key.js'

export interface UpstreamGovernorsOptions {
  /** Shares budgets, pauses and AIMD rates across instances; absent → each instance paces on its own. */
  redis?: UpstreamRedis | undefined
  /** The gateway's storeTimeoutMs: deadline of each Redis call (a route's `upstreamLimit.storeTimeoutMs` wins). */
  storeTimeoutMs?: number | undefined
  prefix?: string
  clock?: Clock
  /** Presets after overrides (mergePresetOverrides / loadPresetOverrides). Default: the built-in ones. */
  presets?: Readonly<Record<string, UpstreamPreset>>
  /** Idle governors (nothing queued, no request) are dropped after this long. Default 10 minutes. */
  idleMs?: number
  onError?: (error: Error) => void
}

/** The upstream part of a governor key: the route's target origins (a pool of one API shares one budget). */
export const routeOrigin = (route: Route): string => [...new Set(route.pool.targets.map((t) => t.origin))].sort().join(',')

/**
 * Creates and keeps governors; `governorFor` is what `upstreamLimitStage` needs.
 * @example
 * const governors = new UpstreamGovernors({ redis })
 * app.use(upstreamLimitStage(route, { governorFor: governors.governorFor, send }))
 */
export class UpstreamGovernors {
  readonly #options: UpstreamGovernorsOptions
  readonly #governors = new Map<string, { governor: UpstreamGovernor; lastUsedAt: number }>()
  readonly #resolved = new WeakMap<Route, ResolvedUpstreamLimit>()

  constructor(options: UpstreamGovernorsOptions) {
    this.#options = options
  }

  /** The resolved (validated, preset-merged) upstreamLimit of a route; throws UpstreamConfigError when invalid. */
  limitFor(route: Route): ResolvedUpstreamLimit {
    let resolved = this.#resolved.get(route)
    if (!resolved) {
      resolved = resolveUpstreamLimit(route.raw.upstreamLimit ?? {}, this.#options.presets ?? upstreamPresets, 'options.upstreamLimit')
      this.#resolved.set(route, resolved)
    }
    return resolved
  }

  /** The governor of this route's upstream for one credential (already hashed, plus `|resource` when known). */
  governorFor = (route: Route, credentialKey: string): UpstreamGovernor => {
    const key = upstreamKey(routeOrigin(route), credentialKey)
    const now = (this.#options.clock ?? Date).now()
    const existing = this.#governors.get(key)
    if (existing) {
      existing.lastUsedAt = now
      return existing.governor
    }
    this.#sweep(now)
    const limit = this.limitFor(route)
    const storeTimeoutMs = limit.storeTimeoutMs ?? this.#options.storeTimeoutMs
    const governor = new UpstreamGovernor({
      key,
      ...(limit.budget && { budget: limit.budget }),
      adaptive: limit.adaptive,
      ...(limit.initialRatePerSecond !== undefined && { initialRatePerSecond: limit.initialRatePerSecond }),
      retryOn: limit.retryOn,
      fallback429Ms: limit.fallback429Ms,
      fallback503Ms: limit.fallback503Ms,
      jitter: limit.jitter,
      maxWaitMs: limit.maxWaitMs,
      maxQueueLength: limit.maxQueueLength,
      fairShare: limit.fairShare,
      maxCallers: limit.maxCallers,
      ...(this.#options.redis && { redis: this.#options.redis }),
      ...(storeTimeoutMs !== undefined && { storeTimeoutMs }),
      ...(this.#options.prefix !== undefined && { prefix: this.#options.prefix }),
      ...(this.#options.clock && { clock: this.#options.clock }),
      ...(this.#options.onError && { onError: this.#options.onError }),
    })
    this.#governors.set(key, { governor, lastUsedAt: now })
    return governor
  }

  /** Every governor's figures, for `GET /_upstreams` and metrics (each lists its busiest callers, the rest as `other`). */
  status(): UpstreamStatus[] {
    return [...this.#governors.values()].map(({ governor }) => boundedStatus(governor.status()))
  }

  close(): void {
    for (const { governor } of this.#governors.values()) governor.close()
    this.#governors.clear()
  }

  #sweep(now: number): void {
    const idleMs = this.#options.idleMs ?? 600_000
    for (const [key, entry] of this.#governors) {
      if (now - entry.lastUsedAt > idleMs && entry.governor.queued === 0) {
        entry.governor.close()
        this.#governors.delete(key)
      }
    }
  }
}
