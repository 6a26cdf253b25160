// The gateway's own endpoints on the listener that serves them: /_health (/live, /ready), /_metrics,
// /_metrics/prometheus, /_upstreams, /_admin (with an admin token) and the status sub-apps (status-apps.ts).
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { adminApi, hasToken, requireToken } from '../admin/admin-api.js'
import { jsonError } from '../errors.js'
import { metricsView } from '../metrics/metrics-dump.js'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../metrics/prometheus.js'
import { healthSummary } from '../ops/health-report.js'
import { listUpstreamPresets } from '../upstream-limits/presets.js'
import type { EndpointSource } from './endpoint-source.js'
import { STATUS_APPS, type StatusApp } from './status-apps.js'

export type { EndpointSource } from './endpoint-source.js'

/**
 * Which listener an app serves: `combined` (no adminPort: everything on the traffic port), or the two halves with an
 * admin port: `traffic` (only /_health, /_health/live, /_health/ready) and `admin` (every endpoint, nothing else).
 */
export type Surface = 'combined' | 'traffic' | 'admin'

export interface SurfaceOptions {
  surface: Surface
  /** Whether /_metrics*, /_upstreams* and /_health's details answer without the admin token (asked per request:
   * it depends on the address start() bound). */
  isPublic(): boolean
  /** Sub-apps served with the status endpoints. Default STATUS_APPS (status-apps.ts). */
  statusApps?: readonly StatusApp[]
}

const NO_STORE = { 'cache-control': 'no-store' }
const NOT_PUBLIC =
  'Not found: the status endpoints are not public on this listener (use the admin listener, send the admin token, or set publicStatus)'
const ADMIN_ONLY = 'Not found: this endpoint is served on the admin listener (adminPort)'

/** Mounts the built-in endpoints of `surface` on `app`, before the catch-all route handler. */
export const mountBuiltInEndpoints = (app: Hono, gateway: EndpointSource, options: SurfaceOptions): void => {
  const { surface, isPublic, statusApps = STATUS_APPS } = options
  const adminToken = gateway.options.adminToken
  const tokenValid = adminToken ? hasToken(adminToken) : () => false
  // Load balancers probe these without credentials, on whichever port they can reach.
  app.get('/_health/live', (c) => c.json({ status: 'ok' }, 200, NO_STORE))
  app.get('/_health/ready', (c) => {
    const { ready, reasons } = gateway.readiness()
    return ready ? c.json({ status: 'ready' }, 200, NO_STORE) : c.json({ status: 'not_ready', reasons }, 503, NO_STORE)
  })
  app.get('/_health', (c) => {
    const full = gateway.health()
    const mayRead = surface !== 'traffic' && (isPublic() || tokenValid(c))
    return c.json(mayRead ? full : healthSummary(full), 200, NO_STORE)
  })
  if (surface === 'traffic') {
    const paths = ['/_admin', '/_metrics', '/_upstreams', ...statusApps.map((s) => s.path)]
    for (const path of paths)
      app.all(`${path}/*`, (c) => jsonError(c, 404, 'not_found', ADMIN_ONLY)).all(path, (c) => jsonError(c, 404, 'not_found', ADMIN_ONLY))
    return
  }
  const checkToken = adminToken ? requireToken(adminToken) : undefined
  const statusAccess: MiddlewareHandler = async function statusAccess(c, next) {
    if (isPublic()) return next()
    if (checkToken) return checkToken(c, next)
    return jsonError(c, 404, 'not_found', NOT_PUBLIC)
  }
  // metricsView: this process's metrics, or every worker's merged when the app runs several (--workers).
  app.get('/_metrics', statusAccess, async (c) => c.json((await metricsView(gateway.metrics)).snapshot()))
  app.get('/_metrics/prometheus', statusAccess, async (c) =>
    c.body(renderPrometheus(await metricsView(gateway.metrics)), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }),
  )
  if (adminToken) app.route('/_admin', adminAppOf(gateway, adminToken))
  // With an admin token the upstream map always needs it (public or not), as it did before publicStatus existed.
  const upstreamAccess = checkToken ?? statusAccess
  app.get('/_upstreams', upstreamAccess, (c: Context) => c.json(gateway.upstreamStatus()))
  app.get('/_upstreams/presets', upstreamAccess, (c: Context) => c.json(listUpstreamPresets(gateway.options.upstreamPresets)))
  for (const status of statusApps) {
    const sub = status.create(gateway)
    if (sub) app.route(status.path, sub)
  }
  // Reserved: without an admin token the admin API does not exist.
  app.all('/_admin', (c) => jsonError(c, 404, 'not_found', 'Not found'))
  app.all('/_admin/*', (c) => jsonError(c, 404, 'not_found', 'Not found'))
  if (surface === 'admin')
    app.all('*', (c) => jsonError(c, 404, 'not_found', 'Not found (the admin listener serves only the status endpoints and /_admin)'))
}

const adminAppOf = (gateway: EndpointSource, adminToken: string): Hono =>
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
  })
