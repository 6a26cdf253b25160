// Sends the EVALSHA calls of one event-loop turn to Redis in one pipeline: one socket write instead of one each.
import type { Redis } from 'ioredis'

/** The slice of ioredis a batch uses (a single Redis; a Cluster would need one pipeline per slot). */
export type BatchClient = Pick<Redis, 'evalsha' | 'pipeline'>

interface Pending {
  numKeys: number
  args: (string | number)[]
  resolve: (reply: unknown) => void
  reject: (error: unknown) => void
}

/** Captured at load: fake timers installed later (tests) must not hold back real Redis calls. */
const nextTurn = setImmediate

/**
 * Collects EVALSHA calls until the event loop's check phase, after every I/O callback of the current turn (each HTTP
 * request arrives in its own callback, so a per-tick batch, as ioredis's auto-pipelining makes, holds one call), and
 * sends them as one pipeline. Each call settles with its own reply or error (NOSCRIPT included, for the caller's
 * EVAL fallback). In a gateway most of a Redis decision's CPU was the socket write (the loopback TCP path runs in the
 * sender's syscall); a batch of n decisions pays it once.
 * @example
 * const batch = new ScriptBatch(redis, sha)
 * const reply = await batch.evalsha(1, ['key', 'arg'])
 */
export class ScriptBatch {
  readonly #client: BatchClient
  readonly #sha: string
  #queue: Pending[] = []

  constructor(client: BatchClient, sha: string) {
    this.#client = client
    this.#sha = sha
  }

  /** EVALSHA of the batch's script with `numKeys` keys first in `args`, sent with the other calls of this turn. */
  evalsha(numKeys: number, args: (string | number)[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#queue.push({ numKeys, args, resolve, reject }) === 1) nextTurn(this.#flush)
    })
  }

  readonly #flush = (): void => {
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 1) {
      const only = batch[0]!
      this.#send(only).then(only.resolve, only.reject)
      return
    }
    let pipeline: ReturnType<BatchClient['pipeline']>
    try {
      pipeline = this.#client.pipeline()
      for (const call of batch) pipeline.evalsha(this.#sha, call.numKeys, ...call.args)
    } catch (error) {
      for (const call of batch) call.reject(error)
      return
    }
    pipeline.exec().then(
      (results) => {
        for (let i = 0; i < batch.length; i++) {
          const [error, reply] = results?.[i] ?? [new Error('pipeline returned no reply')]
          if (error) batch[i]!.reject(error)
          else batch[i]!.resolve(reply)
        }
      },
      (error: unknown) => {
        for (const call of batch) call.reject(error)
      },
    )
  }

  #send(call: Pending): Promise<unknown> {
    try {
      return this.#client.evalsha(this.#sha, call.numKeys, ...call.args)
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
