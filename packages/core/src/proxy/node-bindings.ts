// The Node request and response behind a Hono context, when it came through @hono/node-server's socket.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Context } from 'hono'

type NodeBindings = { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined

/** The IncomingMessage, or undefined for a Request handed to fetch() without a socket. */
export const incomingOf = (c: Context): IncomingMessage | undefined => (c.env as NodeBindings)?.incoming

/** The ServerResponse, or undefined without a socket. */
export const outgoingOf = (c: Context): ServerResponse | undefined => (c.env as NodeBindings)?.outgoing
