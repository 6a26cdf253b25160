// The startup banner: where the gateway listens and what each route does, never a secret.
import { isLoopback, type Route } from '@tollgate/core'
import type { ConfigSource, TollgateConfig } from './config.js'
import type { RunningGateway } from './start-gateway.js'

/** `redis://user:secret@host:6379` → `redis://user:***@host:6379`. */
export const redactUrl = (url: string): string => url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@')

const rateSummary = (limit: unknown): string | undefined => {
  if (typeof limit !== 'object' || limit === null) return undefined
  const l = limit as Record<string, unknown>
  const windows = [
    ['requestsPerSecond', 's'],
    ['requestsPerMinute', 'min'],
    ['requestsPerHour', 'h'],
    ['requestsPerDay', 'day'],
  ]
    .filter(([field]) => l[field!] !== undefined)
    .map(([field, unit]) => `${String(l[field!])}/${unit}`)
  const parts = [windows.join(' + ') || 'custom']
  if (l.algorithm !== undefined) parts.push(String(l.algorithm))
  if (l.cost !== undefined) parts.push(`cost ${String(l.cost)}`)
  return `rate ${parts.join(' ')}`
}

/** One line per route: `/api/users → http://127.0.0.1:8001 [GET, POST] timeout 30000ms, retry ×3, breaker 5/60000ms/3`. */
export const describeRoute = (route: Route, demoUrl: string | undefined): string => {
  const o = route.options
  // Capability fields (rateLimit, cacheTtl, …) are read loosely: the app shows them whether or not they are wired yet.
  const raw = route.raw as Record<string, unknown>
  const targets = route.pool.targets.map((t) => {
    const url = t.url.href.replace(/\/$/, '')
    const shown = url === demoUrl ? `${url} (demo)` : url
    return t.weight === 1 ? shown : `${shown} ×${t.weight}`
  })
  const methods = o.methods ? o.methods.join(', ') : 'all methods'
  const parts = [
    `timeout ${o.timeoutMs}ms`,
    o.retry.attempts > 1 ? `retry ×${o.retry.attempts}` : 'no retry',
    `breaker ${o.circuitBreaker.failureThreshold}/${o.circuitBreaker.recoveryTimeoutMs}ms/${o.circuitBreaker.successThreshold}`,
  ]
  if (o.stripPrefix) parts.push('strip prefix')
  if (raw.requireAuth) parts.push('auth')
  const rate = rateSummary(raw.rateLimit)
  if (rate) parts.push(rate)
  if (raw.cacheTtl !== undefined) parts.push(`cache ${String(raw.cacheTtl)}s`)
  if (raw.upstreamLimit !== undefined) parts.push('upstream limit')
  const pool =
    targets.length > 1 ? ` (${route.pool.strategy}${route.pool.healthCheck ? `, health ${route.pool.healthCheck.path}` : ''})` : ''
  return `${route.prefix} → ${targets.join(', ')}${pool} [${methods}] ${parts.join(', ')} (id ${route.id})`
}

const describeRedisConfig = (redis: NonNullable<TollgateConfig['redis']>): string => {
  if ('cluster' in redis) return `redis cluster ${redis.cluster.map(redactUrl).join(', ')}`
  if ('sentinels' in redis)
    return `redis master "${redis.name}" via sentinels ${redis.sentinels.map((s) => `${s.host}:${s.port}`).join(', ')}`
  return `redis ${redactUrl(redis.url)}`
}

/** Where the status endpoints are, and who may read them. */
const statusLine = (running: RunningGateway, config: TollgateConfig): string => {
  if (running.adminUrl) return `status: ${running.adminUrl}/_metrics ${running.adminUrl}/_metrics/prometheus (admin listener)`
  if (config.publicStatus ?? isLoopback(running.host)) return `status: ${running.url}/_metrics ${running.url}/_metrics/prometheus`
  const how = config.adminToken ? 'need the admin token' : 'are off'
  return `status: /_metrics and /_upstreams ${how} on ${running.host} (set adminPort / TOLLGATE_ADMIN_PORT for a loopback admin listener)`
}

/** The banner's lines, for the logger to print one by one. */
export const formatBanner = (running: RunningGateway, config: TollgateConfig, source: ConfigSource): string[] => {
  const demoUrl = running.demoUpstream?.url
  const bound = running.host === '0.0.0.0' || running.host === '::' ? ` (bound to ${running.host}:${running.port})` : ''
  const env = source.env.length > 0 ? `; env overrides: ${source.env.join(', ')}` : ''
  const keys = config.keys ? `${config.keys.store}${config.keys.store === 'file' ? ` ${config.keys.file}` : ''}` : 'memory'
  const stores = config.redisUrl ? `redis ${redactUrl(config.redisUrl)}` : config.redis ? describeRedisConfig(config.redis) : 'in-memory'
  const lines = [
    `Tollgate listening on ${running.url}${bound}`,
    `config: ${source.file ?? 'built-in default (set TOLLGATE_CONFIG or --config to use a file)'}${env}`,
    `stores: ${stores}; keys: ${keys}; admin API: ${config.adminToken ? 'on' : 'off'}`,
  ]
  if (demoUrl) {
    const demo = config.demoUpstream ?? {}
    const behaviour = `latency ${demo.latencyMs ?? 0}ms, failure rate ${demo.failureRate ?? 0}`
    lines.push(`demo upstream: ${demoUrl} (${behaviour}); try curl ${running.url}/api/hello`)
  }
  const routes = running.gateway.routes
  lines.push(routes.length > 0 ? `routes (${routes.length}):` : 'routes: none (every request gets 404 route_not_found)')
  for (const route of routes) lines.push(`  ${describeRoute(route, demoUrl)}`)
  lines.push(`endpoints: ${running.url}/_health/live ${running.url}/_health/ready; ${statusLine(running, config)}`)
  return lines
}
