// Access logs: one structured record per request, built from what the stages recorded — never a key, a query
// string, Authorization or a cookie.
import type { Context } from 'hono'
import '../context.js'
import { requestHeader } from '../proxy/request-header.js'
import type { AccessLogRecord } from './access-log-record.js'
import { jsonAccessLogger, recordWriterOf } from './json-access-logger.js'
import type { AccessLogger, AccessLogOptions } from './schema.js'
import { isoAt } from './wall-clock.js'

export type { AccessLogRecord }
export { jsonAccessLogger }

const MAX_PATH = 512

/** A pino logger stamps its own time; anything else gets `time` in the record. */
const stampsTime = (logger: AccessLogger): boolean => typeof (logger as { bindings?: unknown }).bindings === 'function'

const contentLength = (value: string | null | undefined): number | undefined => {
  if (value === undefined || value === null) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

/** Writes the access log: sampling, the record, the logger. */
export class AccessLog {
  readonly #write: (record: AccessLogRecord) => void
  readonly #sample: number
  readonly #stampTime: boolean
  readonly #random: () => number

  constructor(options: true | AccessLogOptions, random: () => number = Math.random) {
    const given = options === true ? {} : options
    const logger = given.logger ?? jsonAccessLogger()
    this.#write = recordWriterOf(logger) ?? ((record) => logger.info(record))
    this.#sample = given.sample ?? 1
    this.#stampTime = !stampsTime(logger)
    this.#random = random
  }

  /** Whether this request gets a line: every 5xx, and the sampled share of the rest. */
  sampled(status: number): boolean {
    return this.#sample >= 1 || status >= 500 || this.#random() < this.#sample
  }

  /** The record for a request finished at `now` (performance.now()). */
  record(
    c: Context,
    path: string,
    status: number,
    durationMs: number,
    bytesOut: number | undefined,
    now = performance.now(),
  ): AccessLogRecord {
    const record: AccessLogRecord = {
      time: this.#stampTime ? isoAt(now) : undefined,
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
    this.#write(record)
  }
}

/** The response's Content-Length, for requests without a socket. */
export const responseLength = (response: Response): number | undefined => contentLength(response.headers.get('content-length'))
