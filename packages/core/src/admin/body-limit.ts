// The admin API's body limit: reads the body from the socket without destroying it when the body is too large.
import type { Context, MiddlewareHandler } from 'hono'
import { BodyTooLargeError, bodySource, readBody } from '../proxy/body.js'
import { incomingOf } from '../proxy/node-bindings.js'
import { requestHeader } from '../proxy/request-header.js'

/**
 * Answers `onTooLarge(c)` for a body over `maxBytes` (announced or counted), else hands later handlers the body
 * read once. Unlike hono/body-limit it reads the Node request directly and stops without destroying it, so the
 * gateway can drain the rest or close the connection cleanly after the 413 (settleBodies).
 * @example
 * app.use('*', adminBodyLimit(64 * 1024, (c) => jsonError(c, 413, 'payload_too_large', 'The request body is too large')))
 */
export const adminBodyLimit = (maxBytes: number, onTooLarge: (c: Context) => Response): MiddlewareHandler =>
  async function adminBodyLimit(c, next) {
    const length = requestHeader(c, 'content-length')
    const chunked = requestHeader(c, 'transfer-encoding') !== undefined
    const incoming = incomingOf(c)
    if (!chunked && length !== undefined) return Number(length) > maxBytes ? onTooLarge(c) : next()
    const source = incoming ? bodySource(incoming) : (c.req.raw.body as AsyncIterable<Uint8Array> | null)
    if (!source || (!chunked && incoming)) return next()
    let body: Buffer
    try {
      body = await readBody(source, maxBytes)
    } catch (error) {
      if (error instanceof BodyTooLargeError) return onTooLarge(c)
      throw error
    }
    c.req.raw = new Request(c.req.raw, { body })
    await next()
  }
