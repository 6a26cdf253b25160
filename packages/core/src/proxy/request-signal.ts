// One AbortSignal per request that fires when the client goes away, safe to use before the body is forwarded.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Context } from 'hono'

type NodeBindings = { incoming?: IncomingMessage; outgoing?: ServerResponse }

const SIGNAL = 'clientSignal'

/**
 * Aborts when the client disconnects before its response is finished. On a socket it listens to the
 * ServerResponse: `c.req.raw.signal` would make @hono/node-server build a full Request whose body stream starts
 * consuming the upload the forwarder has yet to send. Created once per request and cached on the context.
 */
export const requestSignal = (c: Context): AbortSignal => {
  const cached = c.get(SIGNAL)
  if (cached) return cached
  const outgoing = (c.env as NodeBindings | undefined)?.outgoing
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
