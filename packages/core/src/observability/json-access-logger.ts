// The built-in access logger: JSON lines to a file descriptor or a file, made and written by a thread of their own.
import type { AccessLogRecord } from './access-log-record.js'
import { LineWriter } from './line-writer.js'
import type { AccessLogger } from './schema.js'

/** The built-in loggers' record writers: the access log hands them its records without the generic info(). */
const recordWriters = new WeakMap<AccessLogger, (record: AccessLogRecord) => void>()

/** How to write an access-log record to `logger` when it is a jsonAccessLogger (its writer thread makes the line). */
export const recordWriterOf = (logger: AccessLogger): ((record: AccessLogRecord) => void) | undefined => recordWriters.get(logger)

/**
 * Writes each record as one JSON line (with `time`, ISO 8601) to a file descriptor or a file path, appended to
 * (default: stdout). The request path only gathers the records' values; a worker thread makes the lines and writes
 * them, in batches of up to 256 lines, each line within about 100 ms; every line handed over is written before the
 * process exits (a SIGKILL loses the last ~100 ms).
 * @example
 * new APIGateway({ accessLog: { logger: jsonAccessLogger('/var/log/tollgate/access.log') } })
 */
export const jsonAccessLogger = (destination: number | string = 1): AccessLogger => {
  const writer = new LineWriter(destination)
  const logger: AccessLogger = { info: (record) => writer.line(`${JSON.stringify(record)}\n`) }
  recordWriters.set(logger, (record) => writer.record(record))
  return logger
}
