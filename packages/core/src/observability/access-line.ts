// The built-in access log's JSON line, written byte by byte into the logger's batch buffer: the same text as
// JSON.stringify(record), without building a string per field and per line (in the gateway, building the line and
// encoding it cost ~2.5 µs per request, most of the log's cost; this writes it in well under 1 µs).
import type { AccessLogRecord } from './access-log-record.js'

/** Bytes a line takes besides its strings' characters: every key, quote, comma and number. */
const FIXED_BYTES = 512
/** At most this many bytes per UTF-16 unit: `\u001f` or a lone surrogate escaped, 3 bytes of UTF-8 otherwise. */
const BYTES_PER_UNIT = 6

const lengthOf = (value: string | undefined): number => (value === undefined ? 0 : value.length)

/** An upper bound of the record's line length in bytes. */
export const accessLineBound = (r: AccessLogRecord): number =>
  FIXED_BYTES +
  BYTES_PER_UNIT *
    (lengthOf(r.time) +
      r.requestId.length +
      lengthOf(r.traceId) +
      r.method.length +
      r.path.length +
      lengthOf(r.route) +
      lengthOf(r.upstream) +
      lengthOf(r.cache) +
      lengthOf(r.rateLimit) +
      lengthOf(r.clientIp) +
      lengthOf(r.keyId) +
      lengthOf(r.error))

/** Copies text that needs no escaping (the keys). */
const raw = (buffer: Buffer, at: number, text: string): number => {
  for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i)
  return at
}

/** A JSON string: printable ASCII without `"` and `\` copied as it is, anything else as JSON.stringify writes it. */
const str = (buffer: Buffer, at: number, value: string): number => {
  const start = at
  buffer[at++] = 0x22
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return start + buffer.write(JSON.stringify(value), start, 'utf8')
    buffer[at++] = code
  }
  buffer[at++] = 0x22
  return at
}

/** Digits of a non-negative safe integer. */
const digits = (buffer: Buffer, at: number, n: number): number => {
  let end = at + 1
  for (let power = 10; power <= n; power *= 10) end++
  for (let i = end - 1; i >= at; i--) {
    const digit = n % 10
    buffer[i] = 0x30 + digit
    n = (n - digit) / 10
  }
  return end
}

/** A number as JSON.stringify writes it: integers and tenths (durations) digit by digit, others through String(). */
const num = (buffer: Buffer, at: number, n: number): number => {
  if (Number.isSafeInteger(n) && n >= 0) return digits(buffer, at, n)
  const tenths = Math.round(n * 10)
  // A tenth's shortest decimal form is its integer part, a point and one digit.
  if (tenths > 0 && tenths < 1e15 && tenths / 10 === n) {
    const tenth = tenths % 10
    at = digits(buffer, at, (tenths - tenth) / 10)
    buffer[at] = 0x2e
    buffer[at + 1] = 0x30 + tenth
    return at + 2
  }
  return raw(buffer, at, Number.isFinite(n) ? String(n) : 'null')
}

/**
 * Writes the record's line (ending in a newline) into `buffer` from `at`, which must have room for
 * accessLineBound(r) bytes; returns where it ends. The fields come in AccessLogRecord's order, those without a value
 * left out: exactly the UTF-8 of `${JSON.stringify(record)}\n`.
 */
export const writeAccessLine = (r: AccessLogRecord, buffer: Buffer, at: number): number => {
  if (r.time === undefined) at = raw(buffer, at, '{"requestId":')
  else at = raw(buffer, str(buffer, raw(buffer, at, '{"time":'), r.time), ',"requestId":')
  at = str(buffer, at, r.requestId)
  if (r.traceId !== undefined) at = str(buffer, raw(buffer, at, ',"traceId":'), r.traceId)
  at = str(buffer, raw(buffer, at, ',"method":'), r.method)
  at = str(buffer, raw(buffer, at, ',"path":'), r.path)
  if (r.route !== undefined) at = str(buffer, raw(buffer, at, ',"route":'), r.route)
  at = num(buffer, raw(buffer, at, ',"status":'), r.status)
  if (r.upstream !== undefined) at = str(buffer, raw(buffer, at, ',"upstream":'), r.upstream)
  at = num(buffer, raw(buffer, at, ',"attempts":'), r.attempts)
  at = num(buffer, raw(buffer, at, ',"durationMs":'), r.durationMs)
  if (r.bytesIn !== undefined) at = num(buffer, raw(buffer, at, ',"bytesIn":'), r.bytesIn)
  if (r.bytesOut !== undefined) at = num(buffer, raw(buffer, at, ',"bytesOut":'), r.bytesOut)
  if (r.cache !== undefined) at = str(buffer, raw(buffer, at, ',"cache":'), r.cache)
  if (r.rateLimit !== undefined) at = str(buffer, raw(buffer, at, ',"rateLimit":'), r.rateLimit)
  if (r.clientIp !== undefined) at = str(buffer, raw(buffer, at, ',"clientIp":'), r.clientIp)
  if (r.keyId !== undefined) at = str(buffer, raw(buffer, at, ',"keyId":'), r.keyId)
  if (r.error !== undefined) at = str(buffer, raw(buffer, at, ',"error":'), r.error)
  if (r.aborted !== undefined) at = raw(buffer, at, ',"aborted":true')
  return raw(buffer, at, '}\n')
}
