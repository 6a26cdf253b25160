// The gateway's Node HTTP server: listen with the configured limits, and close it gracefully on stop().
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Socket } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { ConfigError } from '../errors.js'
import type { Logger, ServerLimits } from '../options.js'
import { settleBodies } from './settle-body.js'

export interface StartOptions {
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port?: number
  /** Interface to bind. Default 127.0.0.1. */
  host?: string
}

export interface StartResult {
  port: number
  host: string
  /** Base URL reachable from this machine, e.g. http://127.0.0.1:8080. */
  url: string
  /** The admin listener's port and base URL, when `adminPort` is set. */
  adminPort?: number
  adminUrl?: string
}

/** Listens on `options.port` (0 = ephemeral) with `limits`; rejects with a clear message when the port is taken. */
export const listen = async (
  fetch: (request: Request) => Response | Promise<Response>,
  options: StartOptions,
  limits: ServerLimits,
  logger: Logger,
  onUpgrade?: (request: IncomingMessage, socket: Socket, head: Buffer) => void,
): Promise<{ server: Server; result: StartResult }> => {
  const port = options.port ?? 8080
  const host = options.host ?? '127.0.0.1'
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`start: port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`)
  const headersTimeout = limits.headersTimeoutMs ?? 10_000
  const server = createAdaptorServer({
    fetch: settleBodies(fetch),
    hostname: host,
    serverOptions: {
      maxHeaderSize: limits.maxHeaderBytes ?? 16_384,
      requestTimeout: limits.requestTimeoutMs ?? 300_000,
      headersTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs ?? 5_000,
      // Node checks both timeouts only this often (30 s by default), which would make short ones meaningless.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, headersTimeout / 4)),
    },
  }) as Server
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      const reason = error.code === 'EADDRINUSE' ? `port ${port} is already in use on ${host}` : error.message
      reject(new Error(`start: cannot listen on ${host}:${port}: ${reason}`, { cause: error }))
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
  server.on('error', (error) => logger.error('server error', error))
  if (onUpgrade) server.on('upgrade', onUpgrade)
  const bound = (server.address() as AddressInfo).port
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return { server, result: { port: bound, host, url: `http://${shownHost}:${bound}` } }
}

/**
 * Stops accepting connections and lets in-flight requests finish, up to `shutdownTimeoutMs`, then closes the rest;
 * resolves with how many connections were still busy then (requests cut).
 */
export const closeServer = async (
  server: Server,
  shutdownTimeoutMs: number,
  tunnels?: { closeAll(): Promise<number>; settled(): Promise<void>; destroyPending(): void },
  logger?: Logger,
): Promise<number> => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  const closedTunnels = (await tunnels?.closeAll()) ?? 0
  if (closedTunnels > 0) logger?.info(`stop: closed ${closedTunnels} WebSocket tunnel${closedTunnels === 1 ? '' : 's'}`)
  // A connection with a request in flight is not idle; once its response ends it is, and the next sweep closes it.
  server.closeIdleConnections()
  const sweep = setInterval(() => server.closeIdleConnections(), 10)
  let deadline: NodeJS.Timeout | undefined
  // Upgrades still in their stages or handshake get the same time as requests (a tunnel opened now is closed at once).
  const drained = Promise.all([closed, tunnels?.settled()])
  const timedOut = await Promise.race([
    drained.then(() => false),
    new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), shutdownTimeoutMs))),
  ])
  clearInterval(sweep)
  clearTimeout(deadline)
  const cut = timedOut ? await busyConnections(server) : 0
  server.closeAllConnections()
  // Upgrade requests still in the stages: closeAllConnections does not reach upgraded sockets.
  tunnels?.destroyPending()
  await closed
  return cut
}

/** Connections with a request (or an upgrade in its stages) still in flight: the idle ones are closed first. */
const busyConnections = (server: Server): Promise<number> => {
  server.closeIdleConnections()
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)))
}
