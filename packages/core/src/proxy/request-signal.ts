// One AbortSignal per request that fires when the client goes away, safe to use before the body is forwarded.
import type { ServerResponse } from 'node:http'
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

/** The client behind a socket: gone when the socket closed before the response finished. */
class SocketClientWatch implements ClientWatch {
  constructor(private readonly outgoing: ServerResponse) {}

  get gone(): boolean {
    return !this.outgoing.writableFinished && (this.outgoing.socket?.destroyed ?? true)
  }

  onGone(listener: () => void): () => void {
    const outgoing = this.outgoing
    const onClose = () => {
      if (!outgoing.writableFinished) listener()
    }
    outgoing.once('close', onClose)
    return () => outgoing.removeListener('close', onClose)
  }
}

/** A Request handed to fetch() without a socket: gone when its signal aborts. */
class SignalClientWatch implements ClientWatch {
  constructor(private readonly signal: AbortSignal) {}

  get gone(): boolean {
    return this.signal.aborted
  }

  onGone(listener: () => void): () => void {
    this.signal.addEventListener('abort', listener, { once: true })
    return () => this.signal.removeEventListener('abort', listener)
  }
}

export const clientWatch = (c: Context): ClientWatch => {
  const outgoing = outgoingOf(c)
  return outgoing ? new SocketClientWatch(outgoing) : new SignalClientWatch(c.req.raw.signal)
}
