// Access logs: one structured record per request, built from what the stages recorded — never a key, a query
// string, Authorization or a cookie.
import type { Context } from 'hono'
import '../context.js'
import { requestHeader } from '../proxy/request-header.js'
import { jsonAccessLogger } from './json-access-logger.js'
import type { AccessLogger, AccessLogOptions } from './schema.js'

export { jsonAccessLogger }

/** One access-log record (a pino logger adds `time` and `level` itself; other loggers get `time` in the record). */
export interface AccessLogRecord {
  /** ISO 8601; undefined (left out of the line) when the logger stamps its own, as pino does. */
  time: string | undefined
  requestId: string
  traceId: string | undefined
  method: string
  /** The normalised path, never the query (it may hold credentials); clipped to 512 characters. */
  path: string
  route: string | undefined
  status: number
  /** The origin of the last upstream target tried. */
  upstream: string | undefined
  attempts: number
  /** From arrival to the last byte sent (to the response being ready without a socket), rounded to 0.1 ms. */
  durationMs: number
  /** The request's Content-Length (undefined for a chunked body). */
  bytesIn: number | undefined
  /** Bytes written to the client, headers included (the response's Content-Length without a socket). */
  bytesOut: number | undefined
  /** hit, miss, stale, revalidated or bypass on cached routes. */
  cache: string | undefined
  /** allowed, limited or error on rate-limited routes. */
  rateLimit: string | undefined
  clientIp: string | undefined
  /** The API key's public id, never the key. */
  keyId: string | undefined
  /** The gateway's error code when it answered itself. */
  error: string | undefined
  /** Set when the client went away before the whole response was written. */
  aborted?: true
}

const MAX_PATH = 512

let lastMs = 0
let lastIso = ''

/** The current time in ISO 8601, formatted once per millisecond. */
const isoNow = (): string => {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}

/** A pino logger stamps its own time; anything else gets `time` in the record. */
const stampsTime = (logger: AccessLogger): boolean => typeof (logger as { bindings?: unknown }).bindings === 'function'

const contentLength = (value: string | null | undefined): number | undefined => {
  if (value === undefined || value === null) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

/** Writes the access log: sampling, the record, the logger. */
export class AccessLog {
  readonly #logger: AccessLogger
  readonly #sample: number
  readonly #stampTime: boolean
  readonly #random: () => number

  constructor(options: true | AccessLogOptions, random: () => number = Math.random) {
    const given = options === true ? {} : options
    this.#logger = given.logger ?? jsonAccessLogger()
    this.#sample = given.sample ?? 1
    this.#stampTime = !stampsTime(this.#logger)
    this.#random = random
  }

  /** Whether this request gets a line: every 5xx, and the sampled share of the rest. */
  sampled(status: number): boolean {
    return this.#sample >= 1 || status >= 500 || this.#random() < this.#sample
  }

  /** The record for a finished request. */
  record(c: Context, path: string, status: number, durationMs: number, bytesOut: number | undefined): AccessLogRecord {
    const record: AccessLogRecord = {
      time: this.#stampTime ? isoNow() : undefined,
      requestId: c.get('requestId'),
      traceId: c.get('trace')?.traceId,
      method: c.req.method,
      path: path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path,
      route: c.get('route')?.id,
      status,
      upstream: c.get('upstreamTarget')?.origin,
      attempts: c.get('upstreamAttempts') ?? 0,
      durationMs: Math.round(durationMs * 10) / 10,
      bytesIn: contentLength(requestHeader(c, 'content-length')) ?? (requestHeader(c, 'transfer-encoding') ? undefined : 0),
      bytesOut,
      cache: c.get('cacheResult'),
      rateLimit: c.get('rateLimitDecision'),
      clientIp: c.get('clientIp'),
      keyId: c.get('apiKey')?.id,
      error: c.get('gatewayError'),
    }
    return record
  }

  write(record: AccessLogRecord): void {
    this.#logger.info(record)
  }
}

/** The response's Content-Length, for requests without a socket. */
export const responseLength = (response: Response): number | undefined => contentLength(response.headers.get('content-length'))
