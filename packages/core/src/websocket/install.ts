// Plugs WebSocket proxying into a gateway: the server's 'upgrade' listener, the tunnel terminal, metrics and shutdown.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Context } from 'hono'
import type { CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import { errorResponse } from '../errors.js'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'
import type { ProxyTrust } from '../proxy/client-ip.js'
import type { TunnelLimits } from './schema.js'
import './options.js'
import { writeRawResponse } from './raw-response.js'
import { tunnelTerminal, websocketGate } from './tunnel-stage.js'
import { tunnelFamilies, WebSocketTunnels } from './tunnels.js'
import { upgradeOf, type UpgradeEnv } from './upgrade-bindings.js'

export interface WebSocketDeps {
  metrics: GatewayMetrics
  breakers: CircuitBreakerRegistry
  trustProxy: ProxyTrust
  via: string
  limits: TunnelLimits | undefined
}

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>
type Terminal<A extends unknown[]> = (c: Context, ...args: A) => Promise<Response>

export interface WebSockets {
  readonly tunnels: WebSocketTunnels
  /** First stage of every upgrade request's pipeline (501 for h2c and `websocket: false`). */
  gate: typeof websocketGate
  /** `forward` for ordinary requests, the tunnel terminal for upgrades. */
  terminal<A extends unknown[]>(forward: Terminal<A>): Terminal<A>
  /** The http server's 'upgrade' listener (one per start()): runs `fetch` (the gateway's app) with the socket in its env. */
  listener(fetch: FetchHandler): (incoming: IncomingMessage, socket: Socket, head: Buffer) => void
  /** Closes every tunnel; resolves with how many were open. */
  closeAll(): Promise<number>
  /** Resolves once no upgrade is waiting in its stages or handshake and no tunnel is open (stop() waits, up to shutdownTimeoutMs). */
  settled(): Promise<void>
  /** Destroys upgrade sockets not yet answered nor tunneled (stop() past shutdownTimeoutMs). */
  destroyPending(): void
}

/** The request the app sees for an upgrade: its method, URL and headers (no body), aborted when the client leaves. */
const upgradeRequest = (incoming: IncomingMessage, signal: AbortSignal): Request => {
  const target = incoming.url ?? '/'
  const url = /^https?:\/\//i.test(target) ? target : `http://${incoming.headers.host ?? 'localhost'}${target}`
  const headers = new Headers()
  const raw = incoming.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return new Request(url, { method: incoming.method ?? 'GET', headers, signal })
}

/**
 * @example
 * const websockets = installWebSockets({ metrics, breakers, trustProxy, via, limits: options.websocket })
 * server.on('upgrade', websockets.listener(gateway.fetch))
 */
export const installWebSockets = (deps: WebSocketDeps): WebSockets => {
  const tunnels = new WebSocketTunnels()
  deps.metrics.section('websockets', () => tunnels.stats())
  deps.metrics.prometheus(() => tunnelFamilies(tunnels.stats()))
  const openTunnel = tunnelTerminal({ ...deps, tunnels })
  // Upgrade sockets whose request is still in the stages (or whose answer is being written): not tunnels yet, and
  // out of the http server's reach (closeAllConnections does not see upgraded sockets).
  const pending = new Set<Socket>()
  const waiters: Array<() => void> = []
  const release = (socket: Socket) => {
    pending.delete(socket)
    if (pending.size === 0) for (const resolve of waiters.splice(0)) resolve()
  }
  return {
    tunnels,
    gate: websocketGate,
    terminal:
      <A extends unknown[]>(forward: Terminal<A>): Terminal<A> =>
      (c, ...args) =>
        upgradeOf(c) ? openTunnel(c) : forward(c, ...args),
    listener: (fetch) => {
      tunnels.resume()
      return (incoming, socket, head) => {
        socket.on('error', () => socket.destroy())
        pending.add(socket)
        socket.once('close', () => release(socket))
        const controller = new AbortController()
        const onClose = () => controller.abort()
        socket.once('close', onClose)
        const env: UpgradeEnv = { incoming, upgrade: { socket, head, tunneled: false } }
        const answer = async (): Promise<void> => {
          let response: Response
          try {
            response = await fetch(upgradeRequest(incoming, controller.signal), env)
          } catch {
            response = errorResponse(400, 'bad_request', 'Malformed upgrade request')
          }
          socket.off('close', onClose)
          if (env.upgrade.tunneled) {
            release(socket)
            await response.body?.cancel().catch(() => {})
          } else await writeRawResponse(socket, response)
        }
        void answer()
      }
    },
    closeAll: () => tunnels.closeAll(),
    settled: async () => {
      if (pending.size > 0) await new Promise<void>((resolve) => waiters.push(resolve))
      await tunnels.idle() // a tunnel opened during shutdown is closing: wait for both of its sides
    },
    destroyPending: () => {
      for (const socket of pending) socket.destroy()
      pending.clear()
      for (const resolve of waiters.splice(0)) resolve()
    },
  }
}
