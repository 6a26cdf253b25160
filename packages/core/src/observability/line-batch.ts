// What the gateway's thread hands the access log's writer thread: records as their values in a flat array.
import type { AccessLogRecord } from './access-log-record.js'

/** A record's fields in the order of its JSON line. */
export const RECORD_FIELDS = [
  'time',
  'requestId',
  'traceId',
  'method',
  'path',
  'route',
  'status',
  'upstream',
  'attempts',
  'durationMs',
  'bytesIn',
  'bytesOut',
  'cache',
  'rateLimit',
  'clientIp',
  'keyId',
  'error',
  'aborted',
] as const satisfies readonly (keyof AccessLogRecord)[]

/** Entry kinds: a record (its RECORD_FIELDS values follow) or a finished line (the line follows). */
export const RECORD = 0
export const LINE = 1

/** Entries one after another: `[RECORD, time, requestId, …, aborted, LINE, '{…}\n', …]`. */
export type Batch = unknown[]

/** The writer thread's workerData. */
export interface LineWriterData {
  /** A file descriptor or a file path (opened for appending). */
  destination: number | string
  /** One Int32: how many batches the writer thread has written. */
  written: SharedArrayBuffer
}
