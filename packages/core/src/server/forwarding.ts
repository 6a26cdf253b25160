// The gateway's way to its upstreams: one undici Agent (bounded per origin), the forwarder over it, and the
// WebSocket tunnels beside it. `forward` and `forwardOnce` hand an Upgrade request to the tunnels.
import type { Agent } from 'undici'
import type { CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import type { SendOnce, Terminal } from '../host.js'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'
import type { GatewayOptions } from '../options.js'
import type { ProxyTrust } from '../proxy/client-ip.js'
import { Forwarder } from '../proxy/forward.js'
import { createUpstreamAgent, installUpstreamAgentMetrics } from '../proxy/upstream-agent.js'
import { installWebSockets, type WebSockets } from '../websocket/install.js'

export interface Forwarding {
  dispatcher: Agent
  websockets: WebSockets
  /** A route's default last step: the forward with retries (or a tunnel for an Upgrade request). */
  forward: Terminal
  /** One upstream exchange without retries, for a capability's governed last step (or a tunnel). */
  forwardOnce: SendOnce
}

export const createForwarding = (
  options: GatewayOptions,
  deps: { metrics: GatewayMetrics; breakers: CircuitBreakerRegistry; trustProxy: ProxyTrust },
): Forwarding => {
  const dispatcher = createUpstreamAgent(options)
  installUpstreamAgentMetrics(deps.metrics, dispatcher)
  const via = options.via ?? '1.1 tollgate'
  const forwarder = new Forwarder({ dispatcher, breakers: deps.breakers, trustProxy: deps.trustProxy, via })
  const websockets = installWebSockets({ ...deps, via, limits: options.websocket })
  return {
    dispatcher,
    websockets,
    forward: websockets.terminal(forwarder.forward),
    forwardOnce: websockets.terminal(forwarder.forwardOnce),
  }
}
