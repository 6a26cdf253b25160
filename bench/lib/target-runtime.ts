// Runs inside a target process: announces its port, answers CPU/request-count queries, stops on demand.
//
// Protocol with the harness (bench/lib/target.ts):
//   stdout line  `LISTENING <port> [<json>]`   once the server accepts connections; the optional JSON object of
//                                            strings is what the suite needs to know (e.g. an API key it must send)
//   IPC message  { type: 'stats', id }       → { type: 'stats', id, userUs, systemUs, requests }
//   SIGTERM / SIGINT / IPC disconnect        → close, then exit
// Targets must not log per request: stdout carries the protocol and stderr is shown to the user.

/** Stats a target reports; `requests` and `connections` only by targets that count them (the upstream). */
export interface TargetStats {
  userUs: number
  systemUs: number
  requests?: number
  /** TCP connections accepted so far: a keep-alive proxy in front should open few. */
  connections?: number
}

interface StatsQuery {
  type: 'stats'
  id: number
}

const isStatsQuery = (message: unknown): message is StatsQuery =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stats'

let requestCount: number | undefined
let connectionCount: number | undefined

/** Counts one served request (call it from the request handler of a target whose count matters). */
export const countRequest = (): void => {
  requestCount = (requestCount ?? 0) + 1
}

/** Counts one accepted connection (call it from the server's 'connection' event). */
export const countConnection = (): void => {
  connectionCount = (connectionCount ?? 0) + 1
}

export interface AnnounceOptions {
  /** Graceful close; the process exits after it settles (or after 2 s). */
  close?: () => Promise<unknown> | void
  /**
   * What the suite needs to know to load this target (e.g. `{ apiKey }` for a route that requires one); it reaches
   * the suite as `RunningTarget.details`. On the LISTENING line, so only bench-generated values belong here.
   */
  details?: Readonly<Record<string, string>>
}

/**
 * Declares the target ready on `port` and wires the harness protocol.
 * @example
 * server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port, { close: () => server.close() }))
 */
export const announce = (port: number, options: AnnounceOptions = {}): void => {
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    setTimeout(() => process.exit(0), 2_000).unref()
    void Promise.resolve()
      .then(() => options.close?.())
      .catch(() => undefined)
      .finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  if (process.send !== undefined) {
    process.once('disconnect', stop)
    process.on('message', (message: unknown) => {
      if (!isStatsQuery(message)) return
      const { user, system } = process.cpuUsage()
      const reply = { type: 'stats', id: message.id, userUs: user, systemUs: system, requests: requestCount, connections: connectionCount }
      process.send?.(reply)
    })
  }
  const details = options.details === undefined ? '' : ` ${JSON.stringify(options.details)}`
  process.stdout.write(`LISTENING ${port}${details}\n`)
}

/** Reads a required setting from the environment or the first argument. */
export const upstreamUrlFromEnv = (): string => {
  const url = process.env.UPSTREAM_URL ?? process.argv[2]
  if (url === undefined || url === '') {
    process.stderr.write('UPSTREAM_URL (or the first argument) must be the upstream base URL, e.g. http://127.0.0.1:8001\n')
    process.exit(2)
  }
  return url
}

/** Every bench server listens on loopback only. */
export const listenHost = '127.0.0.1'
