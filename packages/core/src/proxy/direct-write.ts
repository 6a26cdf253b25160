// Writing a proxied answer straight to Node's ServerResponse: the upstream's own headers (minus hop-by-hop), no
// Response object in between. @hono/node-server adds `content-type: text/plain; charset=UTF-8` to any answer
// without one (a 304, a 204, a typeless 200), which a downstream cache would store over the real type.
import type { ServerResponse } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context } from 'hono'
import { outgoingOf } from './node-bindings.js'

type Headers_ = Record<string, string | string[]>

/** A body the gateway writes itself: bytes, a Node stream, a web stream, or null for a bodiless answer. */
type Body = Uint8Array | Readable | ReadableStream<Uint8Array> | null

const exact = new WeakMap<Response, Body>()

/** Writes status, headers and body to the socket; a stream is piped (an error on either side destroys both). */
const write = (outgoing: ServerResponse, status: number, headers: Headers_ | string[], body: Body): void => {
  outgoing.writeHead(status, headers)
  if (body === null || body instanceof Uint8Array) outgoing.end(body ?? undefined)
  else pipeline(body instanceof Readable ? body : Readable.fromWeb(body as import('node:stream/web').ReadableStream), outgoing, () => {})
}

/**
 * Writes the upstream's answer straight to the client's socket and returns node-server's "already sent" marker.
 * Only for a route whose stages never look at the Response (`c.get('directWrite')`), and only once the request
 * body has been read (an unread one is drained by settleBodies, which may have to close the connection).
 */
export const canWriteDirect = (c: Context): ServerResponse | undefined => {
  if (c.get('directWrite') !== true) return undefined
  const outgoing = outgoingOf(c)
  if (outgoing === undefined || outgoing.headersSent) return undefined
  const incoming = (c.env as { incoming?: { complete: boolean } }).incoming
  return incoming?.complete ? outgoing : undefined
}

/**
 * Sends the answer now (see canWriteDirect), with the headers stages asked for (addAnswerHeaders), and returns the
 * marker for node-server.
 */
export const writeDirect = (c: Context, outgoing: ServerResponse, status: number, headers: Headers_ | string[], body: Body): Response => {
  const added = c.get('answerHeaders')
  if (added && Array.isArray(headers)) for (let i = 0; i < added.length; i += 2) headers.push(added[i]!.toLowerCase(), added[i + 1]!)
  else if (added) for (let i = 0; i < added.length; i += 2) (headers as Headers_)[added[i]!.toLowerCase()] = added[i + 1]!
  write(outgoing, status, headers, body)
  return RESPONSE_ALREADY_SENT
}

/**
 * For a stage on a direct-write route: headers for the proxied answer, given before `await next()` since the answer
 * is on the wire by the time next() resolves. Answers the gateway makes itself (errors) do not get them: a stage
 * adds its headers to those after next(), when `wasWrittenDirect(c.res)` is false.
 */
export const addAnswerHeaders = (c: Context, pairs: string[]): void => {
  const list = c.get('answerHeaders')
  if (list) list.push(...pairs)
  else c.set('answerHeaders', pairs)
}

/** Whether the answer already went to the socket (node-server's marker), so that it can no longer change. */
export const wasWrittenDirect = (response: Response): boolean => response === RESPONSE_ALREADY_SENT

/**
 * Marks a Response the gateway built from an upstream's answer (or a cached one) to be written with exactly the
 * headers it holds (sendProxied); `body` is what it carries, readable without going through the Response.
 */
export const exactResponse = (response: Response, body: Body): Response => {
  exact.set(response, body)
  return response
}

/**
 * At the end of the pipeline: when the answer is still one marked by exactResponse (stages may have changed its
 * headers in place, e.g. rate-limit headers), writes it to the socket with exactly the headers it holds and returns
 * the marker; otherwise returns `response` for node-server to write (a stage replaced it, or there is no socket).
 */
export const sendProxied = (c: Context, response: Response): Response => {
  const body = exact.get(response)
  if (body === undefined) return response
  const outgoing = outgoingOf(c)
  if (outgoing === undefined || outgoing.headersSent) return response
  // A stage that read a streamed body leaves nothing to pipe: node-server writes what it kept.
  if (body instanceof Readable ? body.readableDidRead : body instanceof ReadableStream && body.locked) return response
  const flat: string[] = []
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return
    flat.push(name, value)
  })
  for (const cookie of response.headers.getSetCookie()) flat.push('set-cookie', cookie)
  write(outgoing, response.status, flat, body)
  return RESPONSE_ALREADY_SENT
}

/** The status the client got: the marker's own is 200, the socket's is the real one. */
export const sentStatus = (c: Context, response: Response): number =>
  response === RESPONSE_ALREADY_SENT ? (outgoingOf(c)?.statusCode ?? response.status) : response.status

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by the gateway for routes whose stages never read the Response: the forwarder writes to the socket. */
    directWrite: boolean | undefined
    /** Flat [name, value, …] headers stages add to a directly written answer (addAnswerHeaders). */
    answerHeaders: string[] | undefined
  }
}
