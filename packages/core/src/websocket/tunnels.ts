// The open WebSocket tunnels: two sockets piped both ways, their time limits, byte counts and shutdown.
import type { Socket } from 'node:net'
import type { PrometheusFamily } from '../metrics/gateway-metrics.js'
import { closeFrame, FrameCursor } from './frames.js'

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
  close(reason: string): void
}

/** Close code sent to both sides when the gateway closes a tunnel: "going away" (RFC 6455 §7.4.1). */
const GOING_AWAY = 1001

/** One direction of a tunnel: forwards with backpressure and knows where frames end, to close between two. */
class Direction {
  readonly #cursor = new FrameCursor()
  #closing: string | undefined
  #done = false

  constructor(
    readonly from: Socket,
    readonly to: Socket,
    /** Client-to-upstream frames are masked, and so must be a Close frame the gateway adds to them. */
    readonly masked: boolean,
    readonly count: (bytes: number) => void,
    readonly end: (socket: Socket, last?: Uint8Array) => void,
  ) {}

  start(): void {
    this.from.on('data', (chunk: Buffer) => this.forward(chunk))
    this.from.on('end', () => this.#finish())
  }

  forward(chunk: Buffer): void {
    if (this.#done || chunk.length === 0) return
    this.count(chunk.length)
    if (this.#closing === undefined) {
      this.#cursor.scan(chunk)
      this.#write(chunk)
      return
    }
    const at = this.#cursor.scan(chunk, true)
    if (at < 0) this.#write(chunk)
    else this.#finish(chunk.subarray(0, at), this.#closing)
  }

  /** Ends this direction with a Close frame now if between frames, else once the frame in flight is through. */
  close(reason: string): void {
    if (this.#done || this.#closing !== undefined) return
    this.#closing = reason
    if (this.#cursor.atBoundary) this.#finish(undefined, reason)
  }

  #write(chunk: Buffer): void {
    if (this.to.writableEnded) return
    if (!this.to.write(chunk)) {
      this.from.pause()
      this.to.once('drain', () => this.from.resume())
    }
  }

  #finish(rest?: Uint8Array, reason?: string): void {
    if (this.#done) return
    this.#done = true
    const close = reason === undefined ? undefined : closeFrame(GOING_AWAY, reason, this.masked)
    this.end(this.to, rest && close ? Buffer.concat([rest, close]) : (close ?? rest))
    this.from.resume()
  }
}

/**
 * Every tunnel the gateway holds open. A tunnel is two sockets piped both ways (only frame headers are read, to know
 * where a Close frame may go); when one side closes, the other is ended and, after a short grace, destroyed.
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
  readonly #idleWaiters: Array<() => void> = []
  /** Set by closeAll(): a handshake that completes afterwards gets its tunnel closed at once. */
  #stopping = false

  get size(): number {
    return this.#open.size
  }

  /**
   * Pipes `client` and `upstream` both ways; `head`s are bytes each side sent after its handshake. Closing by the
   * gateway (idle, lifetime, stop) sends each side a Close frame (1001) at the next frame boundary, then ends it.
   */
  open(client: Socket, clientHead: Buffer, upstream: Socket, upstreamHead: Buffer, timeouts: TunnelTimeouts, onClose?: () => void): void {
    let closed = 0
    let closing = false
    let lifetime: NodeJS.Timeout | undefined
    const graces: NodeJS.Timeout[] = []
    const end = (socket: Socket, last?: Uint8Array) => {
      if (socket.destroyed || socket.writableEnded) return
      if (last) socket.end(last)
      else socket.end()
      const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS)
      grace.unref()
      graces.push(grace)
    }
    const toUpstream = new Direction(client, upstream, true, (n) => (this.#bytesFromClients += n), end)
    const toClient = new Direction(upstream, client, false, (n) => (this.#bytesToClients += n), end)
    const tunnel: Tunnel = {
      close: (reason) => {
        if (closing) return
        closing = true
        toUpstream.close(reason)
        toClient.close(reason)
        // A side stalled inside a frame never reaches a boundary: it is cut off after the grace.
        const force = setTimeout(() => {
          client.destroy()
          upstream.destroy()
        }, CLOSE_GRACE_MS)
        force.unref()
        graces.push(force)
      },
    }
    const onSideClose = (other: Socket) => () => {
      end(other)
      if (++closed < 2) return
      clearTimeout(lifetime)
      for (const grace of graces) clearTimeout(grace)
      this.#open.delete(tunnel)
      onClose?.()
      if (this.#open.size === 0) {
        this.#onEmpty?.()
        for (const resolve of this.#idleWaiters.splice(0)) resolve()
      }
    }
    this.#open.add(tunnel)
    this.#total++
    for (const socket of [client, upstream]) {
      socket.on('error', () => socket.destroy())
      socket.setNoDelay(true)
    }
    client.on('close', onSideClose(upstream))
    upstream.on('close', onSideClose(client))
    // The client socket sees traffic both ways, so its timeout is the tunnel's idle timeout.
    client.setTimeout(timeouts.idleTimeoutMs, () => tunnel.close('idle timeout'))
    if (timeouts.maxLifetimeMs !== undefined) {
      lifetime = setTimeout(() => tunnel.close('connection lifetime reached'), timeouts.maxLifetimeMs)
      lifetime.unref()
    }
    toClient.forward(upstreamHead)
    toUpstream.forward(clientHead)
    toUpstream.start()
    toClient.start()
    if (this.#stopping) {
      this.#closedOnStop++
      tunnel.close('gateway stopping')
    }
  }

  /** Resolves once no tunnel is open (those closing included). */
  idle(): Promise<void> {
    return this.#open.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Accepts tunnels again after closeAll() (the gateway started again). */
  resume(): void {
    this.#stopping = false
  }

  /** Closes every open tunnel (both sides ended) and resolves with how many there were once they are gone. */
  async closeAll(): Promise<number> {
    this.#stopping = true
    const count = this.#open.size
    if (count === 0) return 0
    this.#closedOnStop += count
    const gone = new Promise<void>((resolve) => (this.#onEmpty = resolve))
    for (const tunnel of this.#open) tunnel.close('gateway stopping')
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
