// Process and runtime metrics as a capability: the `process` section of /_metrics, the standard Prometheus families,
// and samplers that run from the gateway's start() to its stop().
import { defineCapability } from '../capability.js'
import { z } from '../schema/kit.js'
import { ProcessMonitor } from './process-monitor.js'

/** Sockets open to upstreams, from the forwarding layer's `upstream_connections` section. */
const openUpstreamSockets = (section: unknown): number => {
  if (!section || typeof section !== 'object') return 0
  let open = 0
  for (const origin of Object.values(section as Record<string, { connected?: unknown }>)) open += Number(origin?.connected ?? 0) || 0
  return open
}

export const processMetricsCapability = defineCapability({
  name: 'processMetrics',
  order: 0,
  schema: z.strictObject({}),
  gatewaySchema: z.strictObject({}),
  install(host) {
    const monitor = new ProcessMonitor(() => openUpstreamSockets(host.metrics.readSection('upstream_connections')))
    host.metrics.section('process', () => monitor.snapshot())
    host.metrics.prometheus(() => monitor.prometheus())
    host.addLifecycle({ start: () => monitor.start(), stop: () => monitor.stop() })
  },
})
