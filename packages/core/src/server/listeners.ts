// The gateway's listeners: the traffic port and, with `adminPort`, the admin port; opened together, closed after a drain.
import type { Server } from 'node:http'
import { Drain } from '../ops/drain.js'
import type { GatewayOptions, Logger } from '../options.js'
import type { WebSockets } from '../websocket/install.js'
import { closeServer, listen, type StartOptions, type StartResult } from './node-server.js'

type Fetch = (request: Request) => Response | Promise<Response>

/** What stop() reports. */
export interface StopResult {
  /** Requests still in flight when `shutdownTimeoutMs` ran out, whose connections were closed. */
  cut: number
}

export interface StopOptions {
  /** Overrides `drainDelayMs` for this stop (0: close the listeners at once, e.g. on Ctrl-C). */
  drainDelayMs?: number
}

export interface ListenersDeps {
  options: Readonly<GatewayOptions>
  logger: Logger
  /** The traffic app's fetch, and the admin app's when `adminPort` is set. */
  fetch: Fetch
  adminFetch: Fetch | undefined
  tunnels: WebSockets
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i

/** Whether a bound host only accepts connections from this machine. */
export const isLoopback = (host: string): boolean => LOOPBACK.test(host)

export class GatewayListeners {
  readonly #deps: ListenersDeps
  readonly #drain = new Drain()
  #traffic: { server: Server; host: string } | undefined
  #admin: { server: Server; host: string } | undefined
  #stopping: Promise<StopResult> | undefined

  constructor(deps: ListenersDeps) {
    this.#deps = deps
  }

  get listening(): boolean {
    return this.#traffic !== undefined
  }

  get draining(): boolean {
    return this.#drain.draining
  }

  /** Whether the listener serving `surface` is bound to loopback (false when it is not listening: fetch() alone). */
  loopback(surface: 'traffic' | 'admin'): boolean {
    const listener = surface === 'admin' ? this.#admin : this.#traffic
    return listener !== undefined && isLoopback(listener.host)
  }

  /** Opens the traffic listener, then the admin one; when the second fails the first is closed again. */
  async start(options: StartOptions): Promise<StartResult> {
    if (this.#traffic) throw new Error('start: the gateway is already running; call stop() first')
    const { options: gatewayOptions, logger, tunnels, adminFetch } = this.#deps
    const limits = gatewayOptions.server ?? {}
    const traffic = await listen(this.#deps.fetch, options, limits, logger, tunnels.listener(this.#deps.fetch))
    let result = traffic.result
    if (adminFetch && gatewayOptions.adminPort !== undefined) {
      const adminOptions = { port: gatewayOptions.adminPort, host: gatewayOptions.adminHost ?? '127.0.0.1' }
      const admin = await listen(adminFetch, adminOptions, limits, logger).catch(async (error: Error) => {
        await closeServer(traffic.server, 0)
        throw new Error(error.message.replace(/^start:/, 'start: admin listener:'), { cause: error })
      })
      this.#admin = { server: admin.server, host: admin.result.host }
      result = { ...result, adminPort: admin.result.port, adminUrl: admin.result.url }
    }
    this.#drain.reset()
    this.#traffic = { server: traffic.server, host: traffic.result.host }
    return result
  }

  /** Starts the drain (readiness 503, everything else served); resolves after `drainDelayMs` (at once when not listening). */
  drain(): Promise<void> {
    if (!this.#traffic) return Promise.resolve()
    return this.#drain.begin(this.#deps.options.drainDelayMs ?? 0)
  }

  /** Drains, then closes both listeners, giving in-flight requests `shutdownTimeoutMs`; counts and logs those cut. */
  stop(options: StopOptions = {}): Promise<StopResult> {
    if (!this.#traffic) return Promise.resolve({ cut: 0 })
    // A second stop() during the first (two signals, a test's cleanup) waits for it instead of closing twice.
    this.#stopping ??= this.#stop(options).finally(() => (this.#stopping = undefined))
    return this.#stopping
  }

  async #stop(options: StopOptions): Promise<StopResult> {
    const delayMs = options.drainDelayMs ?? this.#deps.options.drainDelayMs ?? 0
    const waiting = this.#drain.begin(delayMs)
    if (delayMs === 0) this.#drain.skip() // also ends a drain() already waiting
    await waiting
    const { server } = this.#traffic!
    const admin = this.#admin?.server
    this.#traffic = undefined
    this.#admin = undefined
    const { options: gatewayOptions, logger, tunnels } = this.#deps
    const timeoutMs = gatewayOptions.shutdownTimeoutMs ?? 10_000
    const cuts = await Promise.all([closeServer(server, timeoutMs, tunnels, logger), admin ? closeServer(admin, timeoutMs) : 0])
    const cut = cuts[0] + cuts[1]
    if (cut > 0) logger.warn(`stop: cut ${cut} request${cut === 1 ? '' : 's'} still in flight after shutdownTimeoutMs (${timeoutMs} ms)`)
    return { cut }
  }
}
