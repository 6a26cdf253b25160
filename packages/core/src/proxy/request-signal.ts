// One AbortSignal per request that fires when the client goes away, safe to use before the body is forwarded.
import type { Context } from 'hono'
import { outgoingOf } from './node-bindings.js'

const SIGNAL = 'clientSignal'

/**
 * Aborts when the client disconnects before its response is finished. On a socket it listens to the
 * ServerResponse: `c.req.raw.signal` would make @hono/node-server build a full Request whose body stream starts
 * consuming the upload the forwarder has yet to send. Created once per request and cached on the context.
 */
export const requestSignal = (c: Context): AbortSignal => {
  const cached = c.get(SIGNAL)
  if (cached) return cached
  const outgoing = outgoingOf(c)
  let signal: AbortSignal
  if (!outgoing) signal = c.req.raw.signal
  else {
    const controller = new AbortController()
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) controller.abort()
    })
    signal = controller.signal
  }
  c.set(SIGNAL, signal)
  return signal
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by requestSignal(): aborts when the client disconnects. */
    clientSignal: AbortSignal | undefined
  }
}

/** Watches whether the client is still there, with a listener only while someone waits (no AbortController). */
export interface ClientWatch {
  /** True once the client went away before its response finished. */
  readonly gone: boolean
  /** Calls `listener` once if the client goes away; returns a function that stops watching. */
  onGone(listener: () => void): () => void
}

export const clientWatch = (c: Context): ClientWatch => {
  const outgoing = outgoingOf(c)
  if (!outgoing) {
    const signal = c.req.raw.signal
    return {
      get gone() {
        return signal.aborted
      },
      onGone(listener) {
        signal.addEventListener('abort', listener, { once: true })
        return () => signal.removeEventListener('abort', listener)
      },
    }
  }
  return {
    get gone() {
      return !outgoing.writableFinished && (outgoing.socket?.destroyed ?? true)
    },
    onGone(listener) {
      const onClose = () => {
        if (!outgoing.writableFinished) listener()
      }
      outgoing.once('close', onClose)
      return () => outgoing.removeListener('close', onClose)
    },
  }
}
