// The undici Agent behind every upstream request: a bounded pool per origin, and what it holds as metrics.
import { Agent } from 'undici'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'

/** Default for `maxConnectionsPerOrigin`. */
export const DEFAULT_MAX_CONNECTIONS_PER_ORIGIN = 128

/** Origin → what its pool holds now. */
export type UpstreamConnections = Record<string, { connected: number; running: number; queued: number }>

/**
 * The Agent the forwarder sends through: `connections` caps each origin's pool, so a burst of clients cannot open
 * a socket each to the upstream; requests queue in undici's pool instead.
 * @example
 * const agent = createUpstreamAgent({ maxConnectionsPerOrigin: 64 })
 */
export const createUpstreamAgent = (options: { maxConnectionsPerOrigin?: number | undefined }): Agent => {
  const connections = options.maxConnectionsPerOrigin ?? DEFAULT_MAX_CONNECTIONS_PER_ORIGIN
  return new Agent({ connections, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000, connect: { timeout: 10_000 } })
}

/** Per-origin connections, in-flight and queued requests of an Agent (undici's pool stats). */
export const upstreamConnections = (agent: Agent): UpstreamConnections => {
  const out: UpstreamConnections = {}
  for (const [origin, stats] of Object.entries(agent.stats)) {
    const s = stats as { connected?: number; running?: number; queued?: number }
    out[origin] = { connected: s.connected ?? 0, running: s.running ?? 0, queued: s.queued ?? 0 }
  }
  return out
}

/**
 * Adds to /_metrics `upstream_requests_queued` (requests waiting for a connection, all origins) and the
 * `upstream_connections` section; to Prometheus `tollgate_upstream_requests_queued` and
 * `tollgate_upstream_connections{origin}`.
 */
export const installUpstreamAgentMetrics = (metrics: GatewayMetrics, agent: Agent): void => {
  metrics.gauge('upstream_requests_queued', () => {
    let queued = 0
    for (const origin of Object.values(upstreamConnections(agent))) queued += origin.queued
    return queued
  })
  metrics.section('upstream_connections', () => upstreamConnections(agent))
  metrics.prometheus(() => [
    {
      name: 'upstream_connections',
      help: 'Open connections to each upstream origin.',
      type: 'gauge',
      samples: Object.entries(upstreamConnections(agent)).map(([origin, s]) => ({ labels: { origin }, value: s.connected })),
    },
  ])
}
