// The undici Agents behind every upstream request: a bounded pool per origin, one Agent per distinct HTTP/2 and
// TLS setting of routes, and what they hold as metrics.
import { createHash } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { Agent, buildConnector, Client, type Dispatcher, Pool } from 'undici'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'
import type { UpstreamTLSOptions } from '../routing/schema.js'

/** Default for `maxConnectionsPerOrigin`. */
export const DEFAULT_MAX_CONNECTIONS_PER_ORIGIN = 128

/** Origin → what its pool holds now. */
export type UpstreamConnections = Record<string, { connected: number; running: number; queued: number }>

/** How a route talks to its https:// targets: the resolved `http2`, `http2MaxConcurrentStreams` and `tls`. */
export interface UpstreamProtocolOptions {
  http2: boolean
  http2MaxConcurrentStreams: number
  tls: UpstreamTLSOptions | undefined
}

const POOL = { keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 } as const
const CONNECT_TIMEOUT_MS = 10_000

/**
 * Clients of one origin's pool on an `http2` route. undici's Pool sends a request to a connection only while it holds
 * fewer than `pipelining` requests (default 1), so without this every concurrent request would open its own HTTP/2
 * connection: a client takes up to `streams` requests while it connects and, once ALPN chose h2, shares the session
 * among them. When the upstream chose http/1.1 the client drops to one request at a time (no HTTP/1.1 pipelining),
 * and the origin's next clients start that way.
 */
const http2Clients = (streams: number) => {
  let http1 = false
  return (origin: URL, options: object): Dispatcher => {
    const { connect } = options as { connect: buildConnector.connector }
    const client: Client = new Client(origin, {
      ...options,
      pipelining: http1 ? 1 : streams,
      connect: (connectOptions, callback) =>
        connect(connectOptions, (...args) => {
          const socket = args[1] as TLSSocket | null
          if (socket) {
            http1 = socket.alpnProtocol !== 'h2'
            if (http1) client.pipelining = 1
          }
          callback(...args)
        }),
    })
    return client
  }
}

/**
 * The gateway's Agent, plus one Agent per distinct HTTP/2 / TLS setting that routes ask for (`dispatcherFor`), made
 * on first use and closed with it: TLS options are per connection, and undici keys its pools by origin alone, so
 * routes that trust different CAs or present different client certificates cannot share a pool.
 */
export class UpstreamAgent extends Agent {
  readonly #connections: number
  #variants = new Map<string, Agent>()
  #byOptions = new WeakMap<UpstreamProtocolOptions, Agent>()

  constructor(connections: number) {
    super({ connections, ...POOL, connect: { timeout: CONNECT_TIMEOUT_MS } })
    this.#connections = connections
  }

  /** The dispatcher for a route's protocol options: this Agent for plain routes, else a cached one per setting. */
  dispatcherFor(options: UpstreamProtocolOptions): Dispatcher {
    if (!options.http2 && options.tls === undefined) return this
    // A route's resolved options are one object for its lifetime: hash its PEMs once, not per request.
    const known = this.#byOptions.get(options)
    if (known !== undefined) return known
    const { http2, http2MaxConcurrentStreams, tls = {} } = options
    const key = createHash('sha256')
      .update(JSON.stringify([http2, http2 ? http2MaxConcurrentStreams : 0, tls.ca, tls.rejectUnauthorized, tls.servername]))
      .update(JSON.stringify([tls.cert, tls.key, tls.passphrase]))
      .digest('base64url')
    let agent = this.#variants.get(key)
    if (agent === undefined) {
      const connect = buildConnector({
        timeout: CONNECT_TIMEOUT_MS,
        allowH2: http2,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
        ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
      })
      agent = new Agent({
        connections: this.#connections,
        ...POOL,
        connect,
        ...(http2
          ? {
              allowH2: true,
              maxConcurrentStreams: http2MaxConcurrentStreams,
              factory: (origin, opts) => new Pool(origin, { ...opts, factory: http2Clients(http2MaxConcurrentStreams) }),
            }
          : {}),
      })
      this.#variants.set(key, agent)
    }
    this.#byOptions.set(options, agent)
    return agent
  }

  /** This Agent and the per-setting ones, for stats. */
  get agents(): Agent[] {
    return [this, ...this.#variants.values()]
  }

  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    // undici's close() without a callback calls close(callback): the variants are taken once, on the first call.
    const variants = [...this.#variants.values()]
    this.#variants = new Map()
    this.#byOptions = new WeakMap()
    const closed = Promise.all(variants.map((agent) => agent.close().catch(() => {})))
    if (callback === undefined) return closed.then(() => super.close())
    closed.then(() => super.close(callback))
  }

  override destroy(): Promise<void>
  override destroy(error: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(error: Error | null, callback: () => void): void
  override destroy(error?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const variants = [...this.#variants.values()]
    this.#variants = new Map()
    this.#byOptions = new WeakMap()
    for (const agent of variants) agent.destroy().catch(() => {})
    if (typeof error === 'function') return super.destroy(error)
    if (callback !== undefined) return super.destroy(error ?? null, callback)
    return super.destroy(error ?? null)
  }
}

/**
 * The Agent the forwarder sends through: `connections` caps each origin's pool, so a burst of clients cannot open
 * a socket each to the upstream; requests queue in undici's pool instead. Routes with `http2` or `tls` get their own
 * pools (`dispatcherFor`), each capped the same way.
 * @example
 * const agent = createUpstreamAgent({ maxConnectionsPerOrigin: 64 })
 */
export const createUpstreamAgent = (options: { maxConnectionsPerOrigin?: number | undefined }): UpstreamAgent =>
  new UpstreamAgent(options.maxConnectionsPerOrigin ?? DEFAULT_MAX_CONNECTIONS_PER_ORIGIN)

/** The dispatcher a route's requests go through: its own when it sets `http2` or `tls` and `dispatcher` is ours. */
export const routeDispatcher = (dispatcher: Dispatcher, options: UpstreamProtocolOptions): Dispatcher =>
  dispatcher instanceof UpstreamAgent ? dispatcher.dispatcherFor(options) : dispatcher

/** Per-origin connections, in-flight and queued requests of an Agent (undici's pool stats), summed over its variants. */
export const upstreamConnections = (agent: Agent): UpstreamConnections => {
  const out: UpstreamConnections = {}
  for (const one of agent instanceof UpstreamAgent ? agent.agents : [agent]) {
    for (const [origin, stats] of Object.entries(one.stats)) {
      const s = stats as { connected?: number; running?: number; queued?: number }
      const sum = (out[origin] ??= { connected: 0, running: 0, queued: 0 })
      sum.connected += s.connected ?? 0
      sum.running += s.running ?? 0
      sum.queued += s.queued ?? 0
    }
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
