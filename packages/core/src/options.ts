// Options of the APIGateway constructor. Capabilities add their fields by declaration merging, like RouteOptions.
import type { Clock } from './clock.js'

/** The slice of a logger the gateway uses (consola fits; so does console). */
export interface Logger {
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
  debug(...args: unknown[]): void
}

export interface GatewayOptions {
  /** Logger for startup, warnings and (with logging()) request lines. Default: consola tagged "tollgate". */
  logger?: Logger
  /**
   * Trust X-Forwarded-For/-Proto/-Host from the peer: `true` (any peer), a number of trusted hops,
   * or a list of trusted proxy IPs. Default false: the socket peer is the client.
   */
  trustProxy?: boolean | number | string[]
  /** Bearer token for /_admin and other admin endpoints; absent → the admin API answers 404. */
  adminToken?: string
  /** Redis URL shared by the stores (rate limits, keys, cache, upstream limits); absent → in-memory stores. */
  redisUrl?: string
  /** Clock for every time-based decision (tests inject fake time). */
  clock?: Clock
  /** Limits on what clients send. */
  server?: ServerLimits
  /** Time given to in-flight requests on stop(), in ms. Default 10 000. */
  shutdownTimeoutMs?: number
  /** Value for the Via header. Default "1.1 tollgate". */
  via?: string
}

export interface ServerLimits {
  /** Largest header block, in bytes; larger → 431. Default 16 384. */
  maxHeaderBytes?: number
  /** Time a client has to send all headers, in ms. Default 10 000. */
  headersTimeoutMs?: number
  /** Time a client has to send the whole request, in ms. Default 300 000. */
  requestTimeoutMs?: number
  /** Idle keep-alive timeout for client connections, in ms. Default 5 000. */
  keepAliveTimeoutMs?: number
}
