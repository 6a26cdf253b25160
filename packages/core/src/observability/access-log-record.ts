// What one access-log line says: the record the access log builds, hands to a custom logger, or writes as JSON.

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
