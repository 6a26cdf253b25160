// The built-in access logger: JSON lines to a file descriptor or a file, gathered into large asynchronous writes.
import { createRequire } from 'node:module'
import type pino from 'pino'
import { accessLineBound, writeAccessLine } from './access-line.js'
import type { AccessLogRecord } from './access-log-record.js'
import type { AccessLogger } from './schema.js'

/** sonic-boom with `contentMode: 'buffer'` (its types know only strings): a batch is encoded once, here, not thrice. */
interface Destination {
  write(chunk: Buffer): boolean
  flushSync(): void
  readonly destroyed: boolean
  once(event: 'close', listener: () => void): unknown
}

/**
 * Lines are written once this many bytes wait, or FLUSH_MS after the first of them. An asynchronous write costs
 * 5–10 µs of CPU whatever its size (a thread-pool round trip): one per event-loop turn, every one to a few requests
 * under load, was most of what the log cost.
 */
const BATCH_BYTES = 65_536
const FLUSH_MS = 100

const writeString = (line: string, buffer: Buffer, at: number): number => at + buffer.write(line, at, 'utf8')

/** The lines waiting for one destination, encoded as they come (a line's string dies young; no long rope to flatten). */
class PendingLines {
  #buffer = Buffer.allocUnsafe(BATCH_BYTES)
  #used = 0
  #timer: NodeJS.Timeout | undefined

  constructor(readonly destination: Destination) {}

  add(line: string): void {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
    this.#append(line, line.length * 3, writeString)
  }

  addRecord(record: AccessLogRecord): void {
    this.#append(record, accessLineBound(record), writeAccessLine)
  }

  /** Encodes a line of at most `bound` bytes into the batch (written first if it might not fit), or alone if bigger. */
  #append<T>(line: T, bound: number, encode: (line: T, buffer: Buffer, at: number) => number): void {
    if (this.#used + bound > BATCH_BYTES) this.write()
    if (bound > BATCH_BYTES) {
      const own = Buffer.allocUnsafe(bound)
      this.#hand(own.subarray(0, encode(line, own, 0)))
    } else this.#used = encode(line, this.#buffer, this.#used)
    this.#timer ??= setTimeout(this.#onTimer, FLUSH_MS).unref()
  }

  /** Hands the waiting lines to the destination (one write, in the background). */
  write(): void {
    if (this.#used === 0) return
    this.#hand(this.#buffer.subarray(0, this.#used))
    this.#buffer = Buffer.allocUnsafe(BATCH_BYTES)
    this.#used = 0
  }

  #hand(bytes: Buffer): void {
    if (!this.destination.destroyed) this.destination.write(bytes)
  }

  /** Writes the waiting lines, and those handed over still unwritten, before the process ends. */
  writeNow(): void {
    this.write()
    if (!this.destination.destroyed) this.destination.flushSync()
  }

  close(): void {
    clearTimeout(this.#timer)
    this.#used = 0
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined
    this.write()
  }
}

const open = new Set<PendingLines>()
let exitHook = false

const writeAllOnExit = (): void => {
  if (exitHook) return
  exitHook = true
  process.once('exit', () => {
    for (const lines of open) lines.writeNow()
  })
}

/** The built-in loggers' record writers: the access log hands them its records without the generic info(). */
const recordWriters = new WeakMap<AccessLogger, (record: AccessLogRecord) => void>()

/** How to write an access-log record to `logger` when it is a jsonAccessLogger (a line built field by field). */
export const recordWriterOf = (logger: AccessLogger): ((record: AccessLogRecord) => void) | undefined => recordWriters.get(logger)

/**
 * Writes each record as one JSON line (with `time`, ISO 8601) to a file descriptor or file path (default: stdout)
 * through pino's asynchronous destination (sonic-boom). Lines are gathered into writes of about 64 KB, each written
 * within 100 ms; what is left is written on exit. pino is loaded only when this is called.
 * @example
 * new APIGateway({ accessLog: { logger: jsonAccessLogger('/var/log/tollgate/access.log') } })
 */
export const jsonAccessLogger = (destination: number | string = 1): AccessLogger => {
  const create = createRequire(import.meta.url)('pino') as typeof pino
  const stream = create.destination({ dest: destination, sync: false, contentMode: 'buffer' })
  const lines = new PendingLines(stream as unknown as Destination)
  open.add(lines)
  lines.destination.once('close', () => {
    lines.close()
    open.delete(lines)
  })
  writeAllOnExit()
  const logger: AccessLogger = { info: (record) => lines.add(`${JSON.stringify(record)}\n`) }
  recordWriters.set(logger, (record) => lines.addRecord(record))
  return logger
}
