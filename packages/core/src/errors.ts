// One error family for everything the gateway answers itself: a status, a stable code, a JSON body.
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { requestIdOf } from './observability/request-id.js'

export type ErrorCode =
  | 'route_not_found'
  | 'method_not_allowed'
  | 'bad_request'
  | 'payload_too_large'
  | 'bad_gateway'
  | 'circuit_open'
  | 'upstream_timeout'
  | 'no_healthy_upstream'
  | 'rate_limited'
  | 'store_unavailable'
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'unauthorized'
  | 'not_found'
  | 'upstream_queue_timeout'
  | 'internal_error'
  | (string & {})

export interface ErrorBody {
  /** `requestId` is the request's ID (also in the X-Request-Id header): quote it to find the request in the logs. */
  error: { code: ErrorCode; message: string; requestId?: string }
}

/** A gateway error: thrown anywhere in the pipeline, rendered by the gateway's error handler. */
export class GatewayError extends HTTPException {
  readonly code: ErrorCode
  readonly headers: Record<string, string> | undefined

  constructor(
    status: ContentfulStatusCode,
    code: ErrorCode,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(status, { message, cause: options.cause })
    this.code = code
    this.headers = options.headers
  }

  override getResponse(): Response {
    return errorResponse(this.status as ContentfulStatusCode, this.code, this.message, this.headers)
  }
}

export const errorBody = (code: ErrorCode, message: string, requestId?: string): ErrorBody => ({
  error: requestId === undefined ? { code, message } : { code, message, requestId },
})

/** Builds the JSON error response without a Hono context (usable from plain fetch handlers). */
export const errorResponse = (status: ContentfulStatusCode, code: ErrorCode, message: string, headers?: Record<string, string>): Response =>
  new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
  })

/** The one place that marks a response as made by the gateway (read by request events, logs and the cache). */
export const markGatewayMade = (c: Context, code: ErrorCode): void => {
  c.set('gatewayError', code)
}

/**
 * Answers with the JSON error shape from inside a Hono handler or middleware. Every response the gateway makes
 * itself goes through here or gatewayErrorResponse, which mark it as gateway-made (`c.get('gatewayError')`).
 */
export const jsonError = (
  c: Context,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): Response => {
  markGatewayMade(c, code)
  if (headers) for (const name in headers) c.header(name, headers[name])
  return c.json(errorBody(code, message, requestIdOf(c)), status)
}

/** A thrown GatewayError as the gateway's answer, marked and carrying the request ID like every other (see jsonError). */
export const gatewayErrorResponse = (c: Context, error: GatewayError): Response => {
  return jsonError(c, error.status as ContentfulStatusCode, error.code, error.message, error.headers)
}

/**
 * An invalid option or config field. `path` names the field as the user wrote it (`routes[0].rateLimit.algorithm`,
 * `options.timeoutMs`); the message says what was expected and what was given. Every config error is one of these.
 */
export class ConfigError extends TypeError {
  override readonly name: string = 'ConfigError'
  /** The field at fault, or '' when the whole value is. */
  readonly path: string
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.path = options.path ?? ''
  }
}

/**
 * A shared store (Redis) cannot answer: not connected within the store timeout, or no answer within it. At HTTP
 * level a 503 `store_unavailable` with `Retry-After: 1`; `cause` holds what the store said.
 * @example
 * await gateway.apiKeyManager.createApiKey('app').catch((e) => e instanceof StoreUnavailableError && retryLater())
 */
export class StoreUnavailableError extends GatewayError {
  override readonly name = 'StoreUnavailableError'
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(503, 'store_unavailable', message, { headers: { 'retry-after': '1' }, cause: options.cause })
  }
}
