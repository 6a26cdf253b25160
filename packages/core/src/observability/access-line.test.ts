// The built-in JSON line is exactly JSON.stringify's, so JSON.parse reads back the record whatever its strings hold.
import { describe, expect, it } from 'vitest'
import { accessLineBound, writeAccessLine } from './access-line.js'
import type { AccessLogRecord } from './access-log-record.js'

/** The record's line as written into a buffer of exactly its bound: too small a bound would cut the line short. */
const accessLine = (r: AccessLogRecord): string => {
  const buffer = Buffer.allocUnsafe(accessLineBound(r))
  return buffer.toString('utf8', 0, writeAccessLine(r, buffer, 0))
}

const full: AccessLogRecord = {
  time: '2026-11-30T00:11:36.746Z',
  requestId: 'req-0',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  method: 'GET',
  path: '/api/users/42',
  route: 'users',
  status: 200,
  upstream: 'http://127.0.0.1:8001',
  attempts: 1,
  durationMs: 159.4,
  bytesIn: 0,
  bytesOut: 778,
  cache: 'miss',
  rateLimit: 'allowed',
  clientIp: '127.0.0.1',
  keyId: '7sN8grS1u4Ik',
  error: undefined,
}

const bare: AccessLogRecord = {
  time: undefined,
  requestId: 'b',
  traceId: undefined,
  method: 'POST',
  path: '/',
  route: undefined,
  status: 502,
  upstream: undefined,
  attempts: 0,
  durationMs: 0,
  bytesIn: undefined,
  bytesOut: undefined,
  cache: undefined,
  rateLimit: undefined,
  clientIp: undefined,
  keyId: undefined,
  error: 'bad_gateway',
}

/** The record as JSON.parse gives it back: without its undefined fields. */
const defined = (record: AccessLogRecord) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))

const nasty = [
  '/a "quoted" \\ back\\slash',
  '/tab\there/newline\n/cr\r/nul\u0000/esc\u001b/del\u007f',
  '/unicode/é/日本/😀',
  '/lone-surrogates/\ud800/\udfff',
  '/line-separators/\u2028\u2029',
  '</script><!--',
  // The widest escapes: 6 bytes per UTF-16 unit must fit in the bound the line is written into.
  '\u0001'.repeat(300),
  '\ud800'.repeat(300),
  '日本😀'.repeat(100),
]

describe('writeAccessLine', () => {
  it('writes what JSON.stringify writes: every field in order, those without a value left out', () => {
    for (const record of [full, bare, { ...full, aborted: true as const }]) {
      const line = accessLine(record)
      expect(line).toBe(`${JSON.stringify(record)}\n`)
      expect(JSON.parse(line)).toEqual(defined(record))
    }
    expect(Object.keys(JSON.parse(accessLine(full)))[0]).toBe('time')
  })

  it('escapes every string field so that the line parses back to the same record', () => {
    for (const text of nasty) {
      const record: AccessLogRecord = {
        ...full,
        ...{ path: text, requestId: text, route: text, keyId: text, error: text, cache: text, rateLimit: text, clientIp: text },
        ...{ upstream: text, method: text, traceId: text, time: text },
      }
      const line = accessLine(record)
      expect(line).toBe(`${JSON.stringify(record)}\n`)
      expect(JSON.parse(line)).toEqual(defined(record))
      expect(line.indexOf('\n')).toBe(line.length - 1)
    }
  })

  it('writes numbers as numbers, and a number JSON cannot hold as null (as JSON.stringify does)', () => {
    const record = { ...full, durationMs: 0.1, bytesOut: 1e21, bytesIn: Number.NaN, attempts: -0 }
    expect(accessLine(record)).toBe(`${JSON.stringify(record)}\n`)
    expect(JSON.parse(accessLine(record))).toMatchObject({ durationMs: 0.1, bytesOut: 1e21, bytesIn: null, attempts: 0 })
    const numbers = [0, 7, 9, 10, 99, 100, 999, 1000, 65_535, 1e15 - 1, 1e15, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e300]
    const tenths = [0.1, 0.5, 0.9, 1.1, 2.5, 9.9, 10.1, 159.4, 99_999.9, 1e13 + 0.5, 1e14 + 0.5]
    const others = [0.05, 1.23, 1 / 3, -1, -0.5, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-7, 1e21, 1.5e21]
    for (const n of [...numbers, ...tenths, ...others]) {
      const record = { ...full, status: n, attempts: n, durationMs: n, bytesIn: n, bytesOut: n }
      expect(accessLine(record), String(n)).toBe(`${JSON.stringify(record)}\n`)
    }
  })
})
