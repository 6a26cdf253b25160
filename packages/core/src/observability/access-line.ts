// The built-in access log's JSON line, written field by field: the same text as JSON.stringify(record), a little
// cheaper (it skips the walk over the record's keys and the check of each value's type).
import type { AccessLogRecord } from './access-log-record.js'

/** A string with none of these is its own JSON body; anything else (non-ASCII too) goes through JSON.stringify. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/

const str = (value: string): string => (NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`)

/** JSON.stringify writes NaN and ±Infinity as null. */
const num = (value: number): number | string => (Number.isFinite(value) ? value : 'null')

/**
 * The record as one line of JSON ending in a newline: its fields in AccessLogRecord's order, those without a value
 * left out — exactly `${JSON.stringify(record)}\n`.
 */
export const accessLine = (r: AccessLogRecord): string => {
  let line = r.time === undefined ? '{' : `{"time":${str(r.time)},`
  line += `"requestId":${str(r.requestId)}`
  if (r.traceId !== undefined) line += `,"traceId":${str(r.traceId)}`
  line += `,"method":${str(r.method)},"path":${str(r.path)}`
  if (r.route !== undefined) line += `,"route":${str(r.route)}`
  line += `,"status":${num(r.status)}`
  if (r.upstream !== undefined) line += `,"upstream":${str(r.upstream)}`
  line += `,"attempts":${num(r.attempts)},"durationMs":${num(r.durationMs)}`
  if (r.bytesIn !== undefined) line += `,"bytesIn":${num(r.bytesIn)}`
  if (r.bytesOut !== undefined) line += `,"bytesOut":${num(r.bytesOut)}`
  if (r.cache !== undefined) line += `,"cache":${str(r.cache)}`
  if (r.rateLimit !== undefined) line += `,"rateLimit":${str(r.rateLimit)}`
  if (r.clientIp !== undefined) line += `,"clientIp":${str(r.clientIp)}`
  if (r.keyId !== undefined) line += `,"keyId":${str(r.keyId)}`
  if (r.error !== undefined) line += `,"error":${str(r.error)}`
  if (r.aborted !== undefined) line += ',"aborted":true'
  return `${line}}\n`
}
