// The gateway's own endpoints: /_health, /_metrics, /_metrics/prometheus, /_upstreams and, with an admin token, /_admin.
import type { Context, Hono } from 'hono'
import { adminApi, requireToken } from '../admin/admin-api.js'
import type { CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import type { Clock } from '../clock.js'
import { jsonError } from '../errors.js'
import type { APIKeyManager } from '../keys/api-key-manager.js'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'
import { metricsView } from '../metrics/metrics-dump.js'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../metrics/prometheus.js'
import type { GatewayOptions, Logger } from '../options.js'
import { listUpstreamPresets } from '../upstream-limits/presets.js'

/** What the endpoints read and do: the gateway's public surface (APIGateway fits it). */
export interface EndpointSource {
  readonly options: Readonly<GatewayOptions>
  readonly metrics: GatewayMetrics
  readonly breakers: CircuitBreakerRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly apiKeyManager: APIKeyManager
  health(): Record<string, unknown>
  upstreamStatus(): unknown
  validateRateLimit(value: unknown): string | undefined
  isTier(name: string): boolean
  setClientTier(id: string, tier: string): unknown
  routeStatuses(): unknown[]
  purgeCache(prefix?: string): Promise<number>
  drainTarget(routeId: string, index: number, drain: boolean): boolean
}

/** Mounts the built-in endpoints on `app`, before the catch-all route handler. Without an admin token, /_admin is 404. */
export const mountBuiltInEndpoints = (app: Hono, gateway: EndpointSource): void => {
  app.get('/_health', (c) => c.json(gateway.health()))
  app.get('/_metrics', async (c) => c.json((await metricsView(gateway.metrics)).snapshot()))
  app.get('/_metrics/prometheus', async (c) =>
    c.body(renderPrometheus(await metricsView(gateway.metrics)), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }),
  )
  const adminToken = gateway.options.adminToken
  if (adminToken) {
    app.route(
      '/_admin',
      adminApi({
        adminToken,
        logger: gateway.logger,
        apiKeys: gateway.apiKeyManager,
        clock: gateway.clock,
        validateRateLimit: (value) => gateway.validateRateLimit(value),
        isTier: (name) => gateway.isTier(name),
        setClientTier: (id, tier) => gateway.setClientTier(id, tier),
        listRoutes: () => gateway.routeStatuses(),
        circuitBreakers: () => gateway.breakers.snapshot(),
        purgeCache: (prefix) => gateway.purgeCache(prefix),
        drainTarget: (routeId, index, drain) => gateway.drainTarget(routeId, index, drain),
      }),
    )
  }
  const upstreams = (c: Context) => c.json(gateway.upstreamStatus())
  const presets = (c: Context) => c.json(listUpstreamPresets(gateway.options.upstreamPresets))
  if (adminToken) {
    app.get('/_upstreams', requireToken(adminToken), upstreams)
    app.get('/_upstreams/presets', requireToken(adminToken), presets)
  } else {
    app.get('/_upstreams', upstreams)
    app.get('/_upstreams/presets', presets)
  }
  // Reserved: without an admin token the admin API does not exist.
  app.all('/_admin', (c) => jsonError(c, 404, 'not_found', 'Not found'))
  app.all('/_admin/*', (c) => jsonError(c, 404, 'not_found', 'Not found'))
}
