// Every request's ID: the client's X-Request-Id when usable, else a fresh UUID; set once, read with c.get('requestId').
import { randomUUID } from 'node:crypto'
import type { Context } from 'hono'
import { requestHeader } from '../proxy/request-header.js'

/** The default request-id header (lower-case). */
export const REQUEST_ID_HEADER = 'x-request-id'

/** A client's ID is kept when it is short printable ASCII without spaces (it goes into log lines and headers). */
const USABLE = /^[\x21-\x7e]{1,200}$/

/**
 * Sets `c.get('requestId')` from the `header` the client sent, when usable, else to a new UUID; returns it.
 * @example
 * const id = assignRequestId(c, 'x-request-id')
 */
export const assignRequestId = (c: Context, header: string = REQUEST_ID_HEADER): string => {
  const given = requestHeader(c, header)
  const id = given !== undefined && USABLE.test(given) ? given : randomUUID()
  c.set('requestId', id)
  return id
}

/** The request's ID: the one assigned when it arrived, or (outside the gateway's handler) assigned now. */
export const requestIdOf = (c: Context): string => c.get('requestId') ?? assignRequestId(c)
