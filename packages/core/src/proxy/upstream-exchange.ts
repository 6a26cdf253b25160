// One exchange with an upstream through undici's dispatch(): the final status, the raw header pairs and the body,
// read whole when small and known in length, else a Node stream with backpressure. Dispatcher.request() costs
// ~10 µs more per request (an AsyncResource, a body stream and a parsed header object for every answer).
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { AttemptSignal } from './attempt-signal.js'

/** An upstream's answer, as received. */
export interface UpstreamAnswer {
  status: number
  /** Flat [name, value, …]: names lower-case, values the bytes received (latin1), in the upstream's order. */
  headers: string[]
  /** The whole body, a stream for a large or unannounced one, or null for an answer without one (HEAD, 204, 304). */
  body: Buffer | Readable | null
}

const text = (raw: Buffer | string): string => (typeof raw === 'string' ? raw : raw.toString('latin1'))

/** undici's handler protocol (onConnect, onHeaders, onData, onComplete, onError) for one exchange. */
class Exchange {
  #abort: ((reason?: Error) => void) | undefined
  #status = 0
  #headers: string[] = []
  #chunks: Buffer[] | undefined
  #noBody = false
  #stream: Readable | undefined
  #resume: (() => void) | undefined
  #ended = false

  constructor(
    private readonly resolve: (answer: UpstreamAnswer) => void,
    private readonly reject: (error: unknown) => void,
    private readonly signal: AttemptSignal,
    private readonly bufferUpTo: number,
    private readonly bodiless: boolean,
  ) {}

  onConnect(abort: (reason?: Error) => void): void {
    if (this.signal.aborted) {
      abort(this.signal.reason)
      return
    }
    this.#abort = abort
    this.signal.on('abort', () => abort(this.signal.reason))
  }

  onHeaders(status: number, raw: (Buffer | string)[], resume: () => void): boolean {
    // 1xx informational answers (103 Early Hints…): the final one follows.
    if (status < 200) return true
    this.#status = status
    const headers = this.#headers
    let length = -1
    for (let i = 0; i < raw.length; i += 2) {
      const name = text(raw[i]!).toLowerCase()
      const value = text(raw[i + 1]!)
      if (name === 'content-length') length = Number(value)
      headers.push(name, value)
    }
    this.#noBody = this.bodiless || status === 204 || status === 304
    if (this.#noBody || (length >= 0 && length <= this.bufferUpTo)) {
      this.#chunks = []
      return true
    }
    this.#resume = resume
    this.#stream = new Readable({
      read: () => this.#resume?.(),
      // The client went away (or a stage dropped the body): stop the upstream's transfer.
      destroy: (error, callback) => {
        if (!this.#ended) this.#abort?.(error ?? new Error('the upstream body was dropped'))
        callback(error)
      },
    })
    this.resolve({ status, headers, body: this.#stream })
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.#chunks) {
      this.#chunks.push(chunk)
      return true
    }
    return this.#stream!.push(chunk)
  }

  onComplete(): void {
    this.#ended = true
    const chunks = this.#chunks
    if (chunks) {
      const body = this.#noBody ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
      this.resolve({ status: this.#status, headers: this.#headers, body })
    } else this.#stream?.push(null)
  }

  onError(error: Error): void {
    this.#ended = true
    if (this.#stream) this.#stream.destroy(error)
    else this.reject(error)
  }
}

/**
 * Sends `request` and resolves with the answer: once its body is in when it is small (`bufferUpTo` bytes or less, by
 * Content-Length) or absent (`bodiless`, e.g. HEAD), else as soon as the headers are. Rejects with what undici
 * reports, or with `signal.reason` once the signal aborts; a streamed body errors the same way.
 */
export const exchange = (
  dispatcher: Dispatcher,
  request: Dispatcher.DispatchOptions,
  signal: AttemptSignal,
  bufferUpTo: number,
  bodiless: boolean,
): Promise<UpstreamAnswer> =>
  new Promise((resolve, reject) => {
    dispatcher.dispatch(request, new Exchange(resolve, reject, signal, bufferUpTo, bodiless) as unknown as Dispatcher.DispatchHandler)
  })

/** Discards an answer's body (a failed attempt about to be retried): a stream is destroyed, which ends the transfer. */
export const discardBody = (answer: UpstreamAnswer): void => {
  if (answer.body instanceof Readable) {
    answer.body.on('error', () => {})
    answer.body.destroy()
  }
}
