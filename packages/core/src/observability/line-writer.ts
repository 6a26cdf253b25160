// The built-in access log's hand-off: the gateway's thread only gathers each record's values into a batch; a writer
// thread makes the JSON lines and writes them. In the gateway, making and writing a line took ~2 µs of the thread
// that answers requests, and every µs there cost ~4 % of req/s on a loaded 2-core machine.
import { Worker } from 'node:worker_threads'
import type { AccessLogRecord } from './access-log-record.js'
import { type Batch, LINE, type LineWriterData, RECORD } from './line-batch.js'

/** A batch goes to the writer thread at this many lines, or FLUSH_MS after its first line. */
const BATCH_LINES = 256
const FLUSH_MS = 100
/** At exit, how long to wait for the writer thread to write what it was handed. */
const EXIT_WAIT_MS = 10_000
/** Batches handed over and not yet written beyond which lines are dropped (~256 k lines: a stuck destination must not
 * take the gateway's memory with it). */
const MAX_UNWRITTEN_BATCHES = 1024

/** Starts the writer thread: the compiled .js, or the .ts source through tsx's loader (tests, `pnpm start`). */
const startThread = (workerData: LineWriterData): Worker => {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./line-writer-thread.js', import.meta.url), { workerData })
  // tsx is the repository's dev dependency, found from the working directory (the repository, when running its source).
  const source = new URL('./line-writer-thread.ts', import.meta.url).href
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}) })`
  return new Worker(bootstrap, { eval: true, workerData })
}

const open = new Set<LineWriter>()
let exitHook = false

/** Lines for one destination, written by a thread of their own; every line handed over is written before exit. */
export class LineWriter {
  #batch: Batch = []
  #lines = 0
  #timer: NodeJS.Timeout | undefined
  /** Batches handed to the writer thread. */
  #posted = 0
  /** One Int32 the writer thread sets to the number of batches it has written. */
  readonly #written = new Int32Array(new SharedArrayBuffer(4))
  readonly #thread: Worker
  #failed = false
  /** Lines dropped since the writer thread fell MAX_UNWRITTEN_BATCHES behind. */
  #dropped = 0

  constructor(
    readonly destination: number | string,
    readonly maxUnwrittenBatches = MAX_UNWRITTEN_BATCHES,
  ) {
    this.#thread = startThread({ destination, written: this.#written.buffer as SharedArrayBuffer })
    this.#thread.unref()
    this.#thread.on('error', (error) => this.#fail(error.message))
    this.#thread.on('exit', (code) => this.#fail(`its thread exited (code ${code})`))
    open.add(this)
    if (!exitHook) {
      exitHook = true
      process.once('exit', () => {
        for (const writer of open) writer.drain()
      })
    }
  }

  record(r: AccessLogRecord): void {
    if (this.#failed) return
    this.#batch.push(RECORD, r.time, r.requestId, r.traceId, r.method, r.path, r.route, r.status, r.upstream, r.attempts)
    this.#batch.push(r.durationMs, r.bytesIn, r.bytesOut, r.cache, r.rateLimit, r.clientIp, r.keyId, r.error, r.aborted)
    this.#added()
  }

  line(line: string): void {
    if (this.#failed) return
    this.#batch.push(LINE, line)
    this.#added()
  }

  /** Hands the gathered lines to the writer thread (or drops them while it is too far behind, saying so). */
  post(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#lines === 0 || this.#failed) return
    const behind = this.#posted - Atomics.load(this.#written, 0)
    if (behind < this.maxUnwrittenBatches) {
      if (this.#dropped > 0) this.#say(`its destination caught up; ${this.#dropped} lines were dropped meanwhile`)
      this.#dropped = 0
      this.#thread.postMessage(this.#batch)
      this.#posted++
    } else {
      if (this.#dropped === 0) this.#say(`its destination is not keeping up (${behind} batches unwritten): dropping lines`)
      this.#dropped += this.#lines
    }
    this.#batch = []
    this.#lines = 0
  }

  /** Hands over what is left and waits until the writer thread has written it all (at exit: nothing else runs). */
  drain(): void {
    this.post()
    const deadline = Date.now() + EXIT_WAIT_MS
    for (let done = Atomics.load(this.#written, 0); done < this.#posted; done = Atomics.load(this.#written, 0)) {
      const left = deadline - Date.now()
      if (left <= 0 || this.#failed) {
        this.#say(`its last lines were not written within ${EXIT_WAIT_MS} ms`)
        return
      }
      Atomics.wait(this.#written, 0, done, Math.min(left, 100))
    }
  }

  #added(): void {
    if (++this.#lines >= BATCH_LINES) this.post()
    else this.#timer ??= setTimeout(this.#onTimer, FLUSH_MS).unref()
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined
    this.post()
  }

  #fail(reason: string): void {
    if (this.#failed) return
    this.#failed = true
    open.delete(this)
    clearTimeout(this.#timer)
    this.#say(`it cannot be written: ${reason}; its lines are dropped`)
  }

  /** Tells the operator on stderr: the gateway's logger may be the access log's own destination. */
  #say(what: string): void {
    process.stderr.write(`tollgate: access log (${this.destination}): ${what}\n`)
  }
}
