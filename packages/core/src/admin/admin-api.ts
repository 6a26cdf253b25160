// The admin API: a Hono sub-app for keys, tiers, routes, breakers, cache and draining, behind one bearer token.
import { createHash, timingSafeEqual } from 'node:crypto'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { systemClock, type Clock } from '../clock.js'
import { GatewayError, gatewayErrorResponse, jsonError } from '../errors.js'
import type { APIKeyManager } from '../keys/api-key-manager.js'
import type { Logger } from '../options.js'
import { requestIdOf } from '../observability/request-id.js'
import { internalError } from '../server/internal-error.js'
import { adminBodyLimit } from './body-limit.js'
import { FieldError, onlyFields, parseNewKey, readJSONObject, tierField } from './validate.js'

/** What the gateway hands the admin API: the token and one function per thing it can inspect or change. */
export interface AdminDeps {
  /** The bearer token callers must send. Required and non-empty: without one, do not mount the admin API. */
  adminToken: string
  apiKeys: APIKeyManager
  /** Checks a key's rate limit; returns an error message naming the field (`rateLimit.requestsPerMinute …`), or undefined. */
  validateRateLimit(value: unknown): string | undefined
  isTier(name: string): boolean
  /** Assigns a tier; what it answers (e.g. a TierAssignment: what applies now) is the endpoint's answer. */
  setClientTier(id: string, tier: string): unknown
  listRoutes(): unknown[]
  circuitBreakers(): unknown
  /** Purges cached responses (those whose path starts with `prefix`, or all); resolves to how many. */
  purgeCache(prefix?: string): Promise<number>
  /** Drains (or restores) target `index` of route `routeId`; false when there is no such route or target. */
  drainTarget(routeId: string, index: number, drain: boolean): boolean | Promise<boolean>
  /** Clock for checking `expiresAt` is in the future. Default: system time. */
  clock?: Clock
  /** Where a 500 is logged (once, with method, path and request id). Default: console. */
  logger?: Logger
  /** Largest request body, in bytes. Default 64 KiB. */
  maxBodyBytes?: number
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

/** Constant-time bearer check: both sides are hashed to 32 bytes first, so not even the length leaks. */
export const hasToken = (adminToken: string): ((c: Context) => boolean) => {
  const expected = digest(adminToken)
  return (c) => {
    const token = BEARER.exec(c.req.header('authorization') ?? '')?.[1]
    return token !== undefined && timingSafeEqual(digest(token), expected)
  }
}

/** Answers 401 unless the request carries the admin token. */
export const requireToken = (adminToken: string): MiddlewareHandler => {
  const valid = hasToken(adminToken)
  return async function adminAuth(c, next) {
    if (!valid(c)) {
      return jsonError(c, 401, 'unauthorized', 'A valid admin token is required (Authorization: Bearer <adminToken>)', {
        'WWW-Authenticate': 'Bearer realm="tollgate-admin"',
      })
    }
    await next()
  }
}

/**
 * The admin API as a Hono app, for the gateway to mount at `/_admin` when an admin token is configured.
 * Every request needs `Authorization: Bearer <adminToken>`; bodies and answers are JSON; a bad body or
 * field is a 400 `bad_request` whose message starts with the field's name. Answers are never cached.
 *
 * @example
 * ```ts
 * if (options.adminToken) app.route('/_admin', adminApi({ adminToken: options.adminToken, apiKeys, … }))
 * ```
 */
export const adminApi = (deps: AdminDeps): Hono => {
  if (typeof deps.adminToken !== 'string' || deps.adminToken === '') {
    throw new TypeError('adminApi needs a non-empty adminToken; leave the admin API unmounted without one')
  }
  const clock = deps.clock ?? systemClock
  const keys = deps.apiKeys
  const logger = deps.logger ?? console
  const app = new Hono()

  app.use('*', requireToken(deps.adminToken))
  app.use('*', async function noStore(c, next) {
    await next()
    c.header('Cache-Control', 'no-store')
  })
  app.use(
    '*',
    adminBodyLimit(deps.maxBodyBytes ?? 64 * 1024, (c) => jsonError(c, 413, 'payload_too_large', 'The request body is too large')),
  )

  app.post('/keys', async (c) => {
    const body = parseNewKey(await readJSONObject(c), { validateRateLimit: deps.validateRateLimit, isTier: deps.isTier, clock })
    const options: Parameters<APIKeyManager['createApiKey']>[2] = {}
    if (body.tier !== undefined) options.tier = body.tier
    if (body.expiresAt !== undefined) options.expiresAt = body.expiresAt
    if (body.metadata !== undefined) options.metadata = body.metadata
    const issued = await keys.createApiKeyWithId(body.name, body.rateLimit, options)
    return c.json({ ...issued.info, key: issued.key }, 201)
  })

  app.get('/keys', async (c) => c.json({ keys: await keys.listApiKeys() }))

  app.get('/keys/:id', async (c) => {
    const info = await keys.getApiKey(c.req.param('id'))
    return info ? c.json(info) : keyNotFound(c)
  })

  app.delete('/keys/:id', async (c) => {
    const id = c.req.param('id')
    if (!(await keys.revokeApiKey(id))) return keyNotFound(c)
    return c.json({ id, status: 'revoked' })
  })

  app.post('/keys/:id/rotate', async (c) => {
    const id = c.req.param('id')
    const key = await keys.rotateApiKey(id)
    if (key) return c.json({ id, key })
    const info = await keys.getApiKey(id)
    if (!info) return keyNotFound(c)
    return jsonError(c, 409, 'key_inactive', `The API key is ${info.status} and cannot be rotated`)
  })

  app.post('/clients/:id/tier', async (c) => {
    const body = await readJSONObject(c)
    onlyFields(body, ['tier'])
    const tier = tierField(body, deps.isTier)
    const id = c.req.param('id')
    const applied = await deps.setClientTier(id, tier)
    return c.json(typeof applied === 'object' && applied !== null ? applied : { id, tier })
  })

  app.get('/routes', (c) => c.json({ routes: deps.listRoutes() }))

  app.get('/circuit-breakers', (c) => c.json({ circuitBreakers: deps.circuitBreakers() }))

  app.delete('/cache', async (c) => {
    const prefix = c.req.query('prefix')
    if (prefix !== undefined && !prefix.startsWith('/')) throw new FieldError('prefix', 'must be a path starting with "/"')
    return c.json({ purged: await deps.purgeCache(prefix) })
  })

  for (const [action, drain] of [
    ['drain', true],
    ['undrain', false],
  ] as const) {
    app.post(`/routes/:id/targets/:index/${action}`, async (c) => {
      const routeId = c.req.param('id')
      const raw = c.req.param('index')
      if (!/^\d{1,6}$/.test(raw)) throw new FieldError('index', 'must be a non-negative integer')
      const index = Number(raw)
      if (!(await deps.drainTarget(routeId, index, drain))) return jsonError(c, 404, 'not_found', 'No such route or target')
      return c.json({ routeId, index, draining: drain })
    })
  }

  app.notFound((c) => jsonError(c, 404, 'not_found', 'No such admin endpoint'))
  app.onError((error, c) => {
    if (error instanceof FieldError) return jsonError(c, 400, 'bad_request', error.message)
    if (error instanceof GatewayError) return error.status >= 500 ? loggedFailure(c, logger, error) : gatewayErrorResponse(c, error)
    // Manager input checks (TypeError) name their field; anything else is ours and is not echoed.
    if (error instanceof TypeError) return jsonError(c, 400, 'bad_request', error.message)
    return internalError(c, logger, error, { routeId: '_admin', message: 'The admin request failed' })
  })
  return app
}

/** A 5xx the admin API answers itself (a store it cannot reach): logged with the request id it sends back. */
const loggedFailure = (c: Context, logger: Logger, error: GatewayError): Response => {
  const requestId = requestIdOf(c)
  logger.warn(`admin ${c.req.method} ${c.req.path} answered ${error.status} ${error.code} (request id ${requestId}): ${error.message}`)
  return gatewayErrorResponse(c, error)
}

const keyNotFound = (c: Context): Response => jsonError(c, 404, 'not_found', 'No API key with that id')
