// Runs a route's middleware chain (koa-style, like Hono's compose) and ends it with the forwarder.
import type { Context, MiddlewareHandler } from 'hono'
import { wasWrittenDirect } from '../proxy/direct-write.js'

/**
 * Runs `handlers` in order; the last `next()` calls `terminal`. A handler that returns a Response without
 * calling next() short-circuits; one returning a different Response after next() replaces the answer.
 */
export const runPipeline = async (
  c: Context,
  handlers: readonly MiddlewareHandler[],
  terminal: (c: Context) => Promise<Response>,
): Promise<Response> => {
  let index = -1
  const dispatch = async (i: number): Promise<void> => {
    if (i <= index) throw new Error('next() called multiple times in one middleware')
    index = i
    const handler = handlers[i]
    if (handler === undefined) {
      c.res = await terminal(c)
      return
    }
    const result = await handler(c, () => dispatch(i + 1))
    if (wasWrittenDirect(result as unknown as Response)) {
      // node-server's already-sent marker (not of the Response class node-server installs globally), kept as is:
      // Hono would copy it into a new Response over a c.res read before.
      c.res = undefined
      c.res = result as unknown as Response
    } else if (result instanceof Response && (!c.finalized || result !== c.res)) c.res = result
  }
  await dispatch(0)
  if (!c.finalized) throw new Error('a middleware neither returned a Response nor awaited next()')
  return c.res
}
