// cors(): Hono's CORS middleware with defaults for a gateway, and plain OPTIONS requests passed upstream.
import type { MiddlewareHandler } from 'hono'
import { cors as honoCors } from 'hono/cors'
import { requestHeader } from '../proxy/request-header.js'

/** Hono's CORS options (`origin`, `allowMethods`, `allowHeaders`, `maxAge`, `credentials`, `exposeHeaders`). */
export type CORSOptions = NonNullable<Parameters<typeof honoCors>[0]>

/** What cors() uses for each option not given. */
export const defaultCORSOptions = {
  origin: '*',
  allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
  /** Empty: a preflight's Access-Control-Request-Headers are echoed back. */
  allowHeaders: [] as string[],
  /** Rate limit and retry headers the gateway sets, so browser clients can back off. */
  exposeHeaders: [
    'RateLimit',
    'RateLimit-Policy',
    'RateLimit-Limit',
    'RateLimit-Remaining',
    'RateLimit-Reset',
    'Retry-After',
    'X-Request-Id',
  ],
  /** Seconds a browser may cache a preflight answer. */
  maxAge: 600,
} satisfies CORSOptions

/**
 * CORS for the routes behind the gateway: Hono's `cors()` with gateway defaults ({@link defaultCORSOptions}).
 * A preflight (OPTIONS with `Access-Control-Request-Method`) is answered 204 here and never reaches the
 * upstream; any other OPTIONS request goes on to the upstream untouched.
 *
 * @example
 * ```ts
 * gateway.addMiddleware(cors({ origin: ['https://app.example.com'], credentials: true }))
 * ```
 */
export const cors = (options: CORSOptions = {}): MiddlewareHandler => {
  if (options.credentials && (options.origin === undefined || options.origin === '*')) {
    // Browsers refuse `*` with credentials, and reflecting every origin would let any site act as the user.
    throw new TypeError('cors(): credentials: true needs an explicit origin (a list or a function), not "*"')
  }
  const inner = honoCors({ ...defaultCORSOptions, ...options })
  return async function cors(c, next) {
    if (c.req.method === 'OPTIONS' && !requestHeader(c, 'access-control-request-method')) return next()
    return inner(c, next)
  }
}
