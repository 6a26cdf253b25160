// Sends the EVALSHA calls of one event-loop turn to Redis in one socket write instead of one write each.
import type { Redis } from 'ioredis'

/** The slice of ioredis a batch uses: EVALSHA and the client's socket (`stream`, when connected). */
export type BatchClient = Pick<Redis, 'evalsha'> & { readonly stream?: { cork(): void; uncork(): void } }

/** Captured at load: fake timers installed later (tests) must not hold back real Redis calls. */
const nextTurn = setImmediate

/**
 * Holds back the client's socket writes (Writable `cork()`) from the first call of a turn until setImmediate, after
 * every I/O callback of that turn, then sends them in one writev. Each call goes through ioredis's ordinary command
 * path (its own reply, error and NOSCRIPT). Why: in a gateway under load most of a Redis decision's CPU was the
 * socket write (the loopback TCP path runs in the sender's syscall). ioredis's auto-pipelining batches per
 * process.nextTick, and each HTTP request arrives in its own I/O callback, so its batches hold one command there;
 * a Pipeline object per batch also cost more client CPU than the writes it saved.
 * @example
 * const batch = new ScriptBatch(redis, sha)
 * const reply = await batch.evalsha(1, ['key', 'arg'])
 */
export class ScriptBatch {
  readonly #client: BatchClient
  readonly #sha: string
  #corked: { uncork(): void } | undefined

  constructor(client: BatchClient, sha: string) {
    this.#client = client
    this.#sha = sha
  }

  /** EVALSHA of the batch's script: `numKeys` keys first in `args`, written with the other calls of this turn. */
  evalsha(numKeys: number, args: (string | number)[]): Promise<unknown> {
    if (this.#corked === undefined) {
      const stream = this.#client.stream
      if (stream && typeof stream.cork === 'function') {
        stream.cork()
        this.#corked = stream
        nextTurn(this.#uncork)
      }
    }
    try {
      return this.#client.evalsha(this.#sha, numKeys, ...args)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  readonly #uncork = (): void => {
    const stream = this.#corked
    this.#corked = undefined
    stream?.uncork()
  }
}
