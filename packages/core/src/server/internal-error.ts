// The one way the gateway and the admin API answer a 500: logged once, with the context to find the request again.
import type { Context } from 'hono'
import { markGatewayMade } from '../errors.js'
import { requestIdOf } from '../observability/request-id.js'
import type { Logger } from '../options.js'

/**
 * Logs `error` once with method, path (never the query, which may carry credentials), route id and request id,
 * and answers 500 `internal_error` with `requestId` in the body and the `X-Request-Id` header, so a user's report
 * leads to the log line.
 * @example
 * app.onError((error, c) => internalError(c, logger, error, { routeId: '_admin', message: 'The admin request failed' }))
 */
export const internalError = (
  c: Context,
  logger: Logger,
  error: unknown,
  context: { routeId?: string | undefined; message: string },
): Response => {
  const requestId = requestIdOf(c)
  const path = c.get('normalizedPath') ?? c.req.path
  logger.error(`500 internal_error on ${c.req.method} ${path} (route ${context.routeId ?? '-'}, request id ${requestId}):`, error)
  markGatewayMade(c, 'internal_error')
  return new Response(JSON.stringify({ error: { code: 'internal_error', message: context.message, requestId } }), {
    status: 500,
    headers: { 'content-type': 'application/json; charset=UTF-8', [c.get('requestIdHeader') ?? 'x-request-id']: requestId },
  })
}
