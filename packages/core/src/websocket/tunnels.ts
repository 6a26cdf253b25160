// The open WebSocket tunnels: two sockets piped both ways, their time limits, byte counts and shutdown.
import type { Socket } from 'node:net'
import type { PrometheusFamily } from '../metrics/gateway-metrics.js'

/** How long one side may take to flush what it was sent after the other side closed, in ms. */
const CLOSE_GRACE_MS = 1_000

export interface TunnelTimeouts {
  idleTimeoutMs: number
  maxLifetimeMs: number | undefined
}

/** The figures in /_metrics `websockets`. */
export interface TunnelStats {
  open: number
  total: number
  closed_on_stop: number
  bytes_from_clients: number
  bytes_to_clients: number
}

interface Tunnel {
  close(): void
}

/**
 * Every tunnel the gateway holds open. A tunnel is two sockets piped both ways (the bytes are not parsed); when one
 * side closes, the other is ended and, after a short grace, destroyed.
 * @example
 * tunnels.open(clientSocket, clientHead, upstreamSocket, upstreamHead, { idleTimeoutMs: 300_000, maxLifetimeMs: undefined })
 */
export class WebSocketTunnels {
  readonly #open = new Set<Tunnel>()
  #total = 0
  #closedOnStop = 0
  #bytesFromClients = 0
  #bytesToClients = 0
  #onEmpty: (() => void) | undefined

  get size(): number {
    return this.#open.size
  }

  /** Pipes `client` and `upstream` both ways; `head`s are bytes each side sent after its handshake. */
  open(client: Socket, clientHead: Buffer, upstream: Socket, upstreamHead: Buffer, timeouts: TunnelTimeouts, onClose?: () => void): void {
    let closed = 0
    let lifetime: NodeJS.Timeout | undefined
    const graces: NodeJS.Timeout[] = []
    const tunnel: Tunnel = {
      close: () => {
        end(client)
        end(upstream)
      },
    }
    const end = (socket: Socket) => {
      if (socket.destroyed) return
      socket.end()
      const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS)
      grace.unref()
      graces.push(grace)
    }
    const onSideClose = (other: Socket) => () => {
      end(other)
      if (++closed < 2) return
      clearTimeout(lifetime)
      for (const grace of graces) clearTimeout(grace)
      this.#open.delete(tunnel)
      onClose?.()
      if (this.#open.size === 0) this.#onEmpty?.()
    }
    this.#open.add(tunnel)
    this.#total++
    for (const socket of [client, upstream]) {
      socket.on('error', () => socket.destroy())
      socket.setNoDelay(true)
    }
    client.on('close', onSideClose(upstream))
    upstream.on('close', onSideClose(client))
    client.on('data', (chunk: Buffer) => void (this.#bytesFromClients += chunk.length))
    upstream.on('data', (chunk: Buffer) => void (this.#bytesToClients += chunk.length))
    // The client socket sees traffic both ways, so its timeout is the tunnel's idle timeout.
    client.setTimeout(timeouts.idleTimeoutMs, tunnel.close)
    if (timeouts.maxLifetimeMs !== undefined) {
      lifetime = setTimeout(tunnel.close, timeouts.maxLifetimeMs)
      lifetime.unref()
    }
    if (upstreamHead.length > 0) {
      this.#bytesToClients += upstreamHead.length
      client.write(upstreamHead)
    }
    if (clientHead.length > 0) {
      this.#bytesFromClients += clientHead.length
      upstream.write(clientHead)
    }
    client.pipe(upstream)
    upstream.pipe(client)
  }

  /** Closes every open tunnel (both sides ended) and resolves with how many there were once they are gone. */
  async closeAll(): Promise<number> {
    const count = this.#open.size
    if (count === 0) return 0
    this.#closedOnStop += count
    const gone = new Promise<void>((resolve) => (this.#onEmpty = resolve))
    for (const tunnel of this.#open) tunnel.close()
    await gone
    return count
  }

  stats(): TunnelStats {
    return {
      open: this.#open.size,
      total: this.#total,
      closed_on_stop: this.#closedOnStop,
      bytes_from_clients: this.#bytesFromClients,
      bytes_to_clients: this.#bytesToClients,
    }
  }
}

/** Prometheus families for the tunnels. */
export const tunnelFamilies = (stats: TunnelStats): PrometheusFamily[] => [
  { name: 'tollgate_websocket_tunnels_open', help: 'WebSocket tunnels open now', type: 'gauge', samples: [{ value: stats.open }] },
  { name: 'tollgate_websocket_tunnels_total', help: 'WebSocket tunnels opened', type: 'counter', samples: [{ value: stats.total }] },
  {
    name: 'tollgate_websocket_tunnels_closed_on_stop_total',
    help: 'WebSocket tunnels closed by the gateway stopping',
    type: 'counter',
    samples: [{ value: stats.closed_on_stop }],
  },
  {
    name: 'tollgate_websocket_bytes_total',
    help: 'Bytes carried through WebSocket tunnels, by direction',
    type: 'counter',
    samples: [
      { labels: { direction: 'client_to_upstream' }, value: stats.bytes_from_clients },
      { labels: { direction: 'upstream_to_client' }, value: stats.bytes_to_clients },
    ],
  },
]
