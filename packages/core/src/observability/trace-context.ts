// W3C Trace Context (https://www.w3.org/TR/trace-context/): parsing and writing `traceparent`, and fresh ids.
import { randomFillSync } from 'node:crypto'

/** A parsed `traceparent`: the trace, the caller's span and the flags (bit 0 = sampled). */
export interface TraceParent {
  traceId: string
  parentId: string
  flags: string
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/**
 * The incoming `traceparent`, or undefined when absent or invalid (then a new trace starts and the incoming
 * `tracestate` is dropped). Versions above 00 are read by their 00 prefix, as the spec asks; version ff is invalid.
 */
export const parseTraceParent = (value: string | undefined): TraceParent | undefined => {
  if (value === undefined || value.length < 55) return undefined
  const match = TRACEPARENT.exec(value.trim())
  if (!match) return undefined
  const [, version, traceId, parentId, flags, rest] = match
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined
  return { traceId: traceId!, parentId: parentId!, flags: flags! }
}

/** `00-<trace id>-<span id>-<flags>`. */
export const formatTraceParent = (traceId: string, spanId: string, flags: string): string => `00-${traceId}-${spanId}-${flags}`

// Ids come from a pooled random buffer: one randomFillSync per 256 ids instead of one call per id.
const POOL = Buffer.alloc(4096)
let offset = POOL.length

const randomHex = (bytes: number): string => {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL)
    offset = 0
  }
  const hex = POOL.toString('hex', offset, offset + bytes)
  offset += bytes
  return hex
}

/** A random 16-byte trace id as 32 hex digits (never all zeros in practice: 2^-128). */
export const newTraceId = (): string => randomHex(16)

/** A random 8-byte span id as 16 hex digits. */
export const newSpanId = (): string => randomHex(8)
