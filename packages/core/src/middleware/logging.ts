// logging(): one structured consola line per request (method, path, route, status, latency, client id), never a secret.
import { consola, type ConsolaInstance } from 'consola'
import type { Context, MiddlewareHandler } from 'hono'
import '../context.js'

/** The slice of a logger logging() writes to (consola fits; so does console). */
export type RequestLogger = Pick<ConsolaInstance, 'info' | 'warn' | 'error'>

export type RequestLogLevel = 'info' | 'warn' | 'error'

/** The fields of one request line; also what a custom consola reporter finds on its log object. */
export interface RequestLogRecord {
  /** The human-readable line: `GET /api/users 200 12.3ms route=api-users client=key_1`. */
  message: string
  method: string
  /** The normalised path, without the query string (queries can hold secrets). */
  path: string
  route: string | undefined
  status: number
  /** Rounded to 0.1 ms. */
  latencyMs: number
  /** API key id or client IP, never a key. */
  clientId: string | undefined
  /** The gateway's error code when it answered itself (`bad_gateway`, `circuit_open`, …). */
  error: string | undefined
  /** The request's ID (X-Request-Id), to match the line with the client's report and the upstream's logs. */
  requestId: string | undefined
}

export interface LoggingOptions {
  /**
   * Default: consola tagged `tollgate`, with repeat-throttling off so every request gets its line. Loggers get
   * the {@link RequestLogRecord} as their one argument (consola reporters see its fields on the log object);
   * `console` gets only the message, which keeps it on one line.
   */
  logger?: RequestLogger
  /**
   * The least severe line to write: `info` (default) logs every request, `warn` only 4xx and 5xx,
   * `error` only 5xx. 5xx are written at error level, 4xx at warn, the rest at info.
   */
  level?: RequestLogLevel
  /** Requests to leave out (health checks, say). */
  skip?: (c: Context) => boolean
}

const SEVERITY: Record<RequestLogLevel, number> = { info: 0, warn: 1, error: 2 }

/** Longest path written; a path is the one request field a client controls freely. */
const MAX_PATH = 512

/** Control characters become %XX so a decoded `%0A` cannot forge a second log line. */
const sanitizePath = (path: string): string => {
  const query = path.indexOf('?')
  if (query !== -1) path = path.slice(0, query)
  const clipped = path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(clipped)
    ? // eslint-disable-next-line no-control-regex
      clipped.replace(/[\u0000-\u001f\u007f]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)
    : clipped
}

/** A thrown GatewayError's code; a thrown anything else is `internal_error` when it ended in a 5xx. Never its message. */
const errorCode = (error: unknown, status: number): string | undefined => {
  if (!error) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : status >= 500 ? 'internal_error' : undefined
}

let defaultLogger: RequestLogger | undefined
// Consola folds identical lines repeated within a second into one; request lines must each be written.
const getDefaultLogger = (): RequestLogger => (defaultLogger ??= consola.create({ throttle: 0 }).withTag('tollgate'))

/**
 * Writes one line per request after the response is known. Only the method, the path without its query,
 * the route id, the status, the latency and the client id are written: never headers, query or bodies.
 *
 * @example
 * ```ts
 * gateway.addMiddleware(logging({ skip: (c) => c.req.path === '/_health' }))
 * ```
 */
export const logging = (options: LoggingOptions = {}): MiddlewareHandler => {
  const min = SEVERITY[options.level ?? 'info']
  const skip = options.skip
  const logger = options.logger
  return async function logging(c, next) {
    if (skip?.(c)) return next()
    const start = c.get('startTime') ?? performance.now()
    let completed = false
    try {
      await next()
      completed = true
    } finally {
      // A throw that escaped Hono's error handler becomes a 500 upstream of us.
      const status = completed ? c.res.status : 500
      const severity = status >= 500 ? 2 : status >= 400 ? 1 : 0
      if (severity >= min) {
        const latencyMs = Math.round((performance.now() - start) * 10) / 10
        const path = sanitizePath(c.get('normalizedPath') ?? c.req.path)
        const route = c.get('route')?.id
        const clientId = c.get('clientId')
        const error = c.get('gatewayError') ?? errorCode(c.error, status)
        let message = `${c.req.method} ${path} ${status} ${latencyMs}ms`
        if (route !== undefined) message += ` route=${route}`
        if (clientId !== undefined) message += ` client=${clientId}`
        if (error !== undefined) message += ` error=${error}`
        const requestId = c.get('requestId')
        if (requestId !== undefined) message += ` request=${requestId}`
        const record: RequestLogRecord = { message, method: c.req.method, path, route, status, latencyMs, clientId, error, requestId }
        const out = logger ?? getDefaultLogger()
        // consola (and pino) keep an object argument on one line; console would spread it over several.
        // `badge: false` stops consola framing error lines with blank lines.
        const line = (out as unknown) === console ? message : { ...record, badge: false }
        try {
          if (severity === 2) out.error(line)
          else if (severity === 1) out.warn(line)
          else out.info(line)
        } catch {
          // A failing logger must not turn an answered request into an error.
        }
      }
    }
  }
}
