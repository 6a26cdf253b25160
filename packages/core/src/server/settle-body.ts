// Request bodies a handler did not read: drained (bounded) so the connection carries the next request, else closed cleanly.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface SettleBodyOptions {
  /** Most body bytes read and dropped to keep a connection open. Default 1 MiB. */
  maxDrainBytes?: number
  /** Longest wait for the rest of a body before the answer, in ms. Default 3 000. */
  drainTimeoutMs?: number
  /** After a `Connection: close` answer, how long what the client still sends is read and dropped, in ms. Default 3 000. */
  lingerMs?: number
}

/** Bindings @hono/node-server passes as the fetch handler's `env`. */
type NodeEnv = { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>

const MiB = 1024 * 1024
const LINGERING = Symbol('lingering')

/**
 * Wraps a fetch handler served by @hono/node-server so that every answer, whatever its status, leaves the
 * connection usable: a body still arriving when the answer is ready is read and dropped first (up to
 * `maxDrainBytes` within `drainTimeoutMs`); past that bound the answer carries `Connection: close`, and after it
 * is written the gateway shuts its side and keeps dropping what the client sends for `lingerMs` before closing,
 * so the client reads the answer instead of a reset.
 *
 * @example
 * createAdaptorServer({ fetch: settleBodies(app.fetch) })
 */
export const settleBodies = (fetch: FetchHandler, options: SettleBodyOptions = {}): FetchHandler => {
  const maxBytes = options.maxDrainBytes ?? MiB
  const timeoutMs = options.drainTimeoutMs ?? 3_000
  const lingerMs = options.lingerMs ?? 3_000
  const settle = async (incoming: IncomingMessage, pending: Response | Promise<Response>): Promise<Response> => {
    const response = await pending
    if (incoming.complete || incoming.destroyed) return response
    const announced = Number(incoming.headers['content-length'] ?? 0)
    if (announced <= maxBytes && (await drain(incoming, maxBytes, timeoutMs))) return response
    return closeAfter(incoming, response, lingerMs)
  }
  return function settleBodies(request, env) {
    const incoming = (env as NodeEnv)?.incoming
    // Without Content-Length or Transfer-Encoding there is no body (the common GET): no extra await on the hot path.
    const headers = incoming?.headers
    if (!incoming || (headers!['content-length'] === undefined && headers!['transfer-encoding'] === undefined)) return fetch(request, env)
    return settle(incoming, fetch(request, env))
  }
}

/** Reads and drops the rest of a body; true when it ended within the bounds. */
export const drain = (incoming: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (incoming.complete) return resolve(true)
    let bytes = 0
    const finish = (ended: boolean) => {
      clearTimeout(timer)
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('close', onClose)
      resolve(ended)
    }
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > maxBytes) finish(false)
      // Another reader (a web stream over the body) may pause it for backpressure; what it holds is bounded above.
      else if (incoming.isPaused()) incoming.resume()
    }
    const onEnd = () => finish(true)
    const onClose = () => finish(incoming.complete)
    const timer = setTimeout(() => finish(false), timeoutMs)
    incoming.on('data', onData)
    incoming.once('end', onEnd)
    incoming.once('close', onClose)
    incoming.resume()
  })

/** The answer with `Connection: close`; the socket lingers after it so the client reads it rather than a reset. */
const closeAfter = (incoming: IncomingMessage, response: Response, lingerMs: number): Response => {
  const closing = new Response(response.body, response)
  closing.headers.set('connection', 'close')
  // Keep the body flowing (and dropped) so the parser never stops reading the socket while we linger.
  incoming.on('data', () => {})
  incoming.resume()
  lingerOnClose(incoming.socket, lingerMs)
  return closing
}

/**
 * Node's server ends a `Connection: close` response with socket.destroySoon(): the socket closes as soon as the
 * answer is flushed, and a kernel closing a socket with unread input sends RST, which can wipe the answer from the
 * client's buffer before it reads it. Lingering close (as Apache and nginx do): send FIN, keep reading and dropping
 * until the client closes or `lingerMs` passes, then destroy.
 */
const lingerOnClose = (socket: Socket & { [LINGERING]?: true }, lingerMs: number): void => {
  if (socket[LINGERING] || socket.destroyed) return
  socket[LINGERING] = true
  let closing = false
  socket.destroySoon = function lingeringClose() {
    if (closing || socket.destroyed) return
    closing = true
    socket.end()
    const timer = setTimeout(() => socket.destroy(), lingerMs)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
    socket.resume()
  }
}
