// Upstream-aware limits as a capability: the governed terminal step, /_upstreams figures in metrics, and shutdown.
import { defineCapability } from '../capability.js'
import type { PrometheusFamily } from '../metrics/gateway-metrics.js'
import { DEFAULT_CALLER_LABELS, DEFAULT_UPSTREAM_LABELS, labelledCallers, labelledUpstreams } from './caller-labels.js'
import { UpstreamGovernors } from './registry.js'
import { upstreamGatewaySchema, upstreamLimitRouteSchema } from './schema.js'
import type { UpstreamStatus } from './types.js'
import { upstreamLimitTerminal, weightByTier } from './upstream-limit-stage.js'

declare module '../host.js' {
  interface HostServices {
    /** Each upstream-limited upstream's figures (gateway.upstreamStatus(), GET /_upstreams). */
    upstreamStatus: () => UpstreamStatus[]
  }
}

const DEFAULT_TIER_WEIGHTS = { free: 1, basic: 2, premium: 4, enterprise: 8 }

export const upstreamLimitCapability = defineCapability({
  name: 'upstreamLimit',
  order: 400,
  schema: upstreamLimitRouteSchema,
  gatewaySchema: upstreamGatewaySchema,
  install(host) {
    const { metrics, logger, clock, options, stores } = host
    const governors = new UpstreamGovernors({
      redis: stores.redis,
      storeTimeoutMs: options.storeTimeoutMs,
      prefix: stores.prefix,
      clock,
      presets: options.upstreamPresets,
      onError: (error) => logger.warn(`upstream limits: Redis failed (${error.message}); pacing locally until it answers again`),
    })
    const weightFor = weightByTier(options.upstreamTierWeights ?? DEFAULT_TIER_WEIGHTS)
    host.setTerminal((route) =>
      upstreamLimitTerminal(route, {
        // Resolved by the registry, so presets from the gateway's options (overrides files) are known to routes.
        limit: route.raw.upstreamLimit ? governors.limitFor(route) : undefined,
        governorFor: governors.governorFor,
        send: (c) => host.sendOnce(c, governors.limitFor(route).retryOn),
        weightFor,
      }),
    )
    host.provide('upstreamStatus', () => governors.status())
    metrics.section('upstreams', () => governors.status())
    metrics.prometheus(() => upstreamFamilies(governors.status()))
    host.addLifecycle({ stop: () => governors.close() })
  },
})

/**
 * Prometheus families for each upstream budget and its active callers: the busiest `upstreamLabels` upstream keys
 * (then `other`), and per upstream the busiest `callerLabels` declared callers by id, then `other` and `anonymous`
 * (never a raw client IP or user-agent).
 */
export const upstreamFamilies = (
  all: readonly UpstreamStatus[],
  callerLabels = DEFAULT_CALLER_LABELS,
  upstreamLabels = DEFAULT_UPSTREAM_LABELS,
): PrometheusFamily[] => {
  const statuses = labelledUpstreams(all, upstreamLabels)
  const labelled = statuses.map((s) => ({ key: s.key, callers: labelledCallers(s.callers, callerLabels) }))
  const perUpstream = (
    name: string,
    help: string,
    type: PrometheusFamily['type'],
    read: (s: UpstreamStatus) => number,
  ): PrometheusFamily => ({
    name,
    help,
    type,
    samples: statuses.map((s) => ({ labels: { upstream: s.key }, value: read(s) })),
  })
  const perCaller = (name: string, help: string, read: (c: UpstreamStatus['callers'][number]) => number): PrometheusFamily => ({
    name,
    help,
    type: 'gauge',
    samples: labelled.flatMap((s) => s.callers.map((c) => ({ labels: { upstream: s.key, caller: c.callerId }, value: read(c) }))),
  })
  return [
    perUpstream('tollgate_upstream_rate', 'Current sending rate to the upstream, requests/s', 'gauge', (s) => s.ratePerSecond),
    perUpstream('tollgate_upstream_paused', 'Whether sending to the upstream is paused (1) after a throttle', 'gauge', (s) =>
      Number(s.pausedUntil !== null),
    ),
    perUpstream('tollgate_upstream_throttles_total', 'Throttling answers (429/503) seen from the upstream', 'counter', (s) => s.throttles),
    perUpstream('tollgate_upstream_queued', 'Requests waiting for upstream budget', 'gauge', (s) => s.queued),
    perCaller('tollgate_upstream_caller_share', "A caller's share of the upstream budget (0..1)", (c) => c.share),
    perCaller('tollgate_upstream_caller_queued', "A caller's requests waiting for budget", (c) => c.queued),
    perCaller('tollgate_upstream_caller_wait_p99_seconds', "p99 of a caller's queueing wait", (c) => c.waitP99Ms / 1000),
  ]
}
