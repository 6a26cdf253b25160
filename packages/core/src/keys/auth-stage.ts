// The auth stage: on requireAuth routes, a valid API key is required; elsewhere a valid key still identifies the caller.
import type { Context, MiddlewareHandler } from 'hono'
import '../context.js'
import type { APIKeyIdentity } from '../context.js'
import { jsonError } from '../errors.js'
import type { Route } from '../routing/route.js'
import type { APIKeyManager } from './api-key-manager.js'
import type { APIKeyInfo } from './types.js'
import type { z } from 'zod'
import type { authRouteSchema } from './schema.js'
import { requestHeader } from '../proxy/request-header.js'

declare module '../routing/route.js' {
  interface RouteOptions extends z.input<typeof authRouteSchema> {}
}

export interface AuthStageDeps {
  manager: APIKeyManager
}

const INVALID_CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="tollgate", error="invalid_token"' }
const MISSING_CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="tollgate"' }
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

interface PresentedKey {
  key: string
  /** The request headers that carried it, to strip before forwarding. */
  headers: readonly string[]
}

const FROM_X_API_KEY: readonly string[] = ['x-api-key']
const FROM_BEARER: readonly string[] = ['x-api-key', 'authorization']

/** The key from X-API-Key, else from `Authorization: Bearer` (then both headers are to be stripped). */
const presentedKey = (c: Context): PresentedKey | undefined => {
  const header = requestHeader(c, 'x-api-key')
  if (header !== undefined && header.trim() !== '') return { key: header.trim(), headers: FROM_X_API_KEY }
  const match = BEARER.exec(requestHeader(c, 'authorization') ?? '')
  if (match) return { key: match[1]!, headers: FROM_BEARER }
  return undefined
}

/** The key's info: from the key cache without a promise when it can tell, else from the store. */
const validate = (manager: APIKeyManager, key: string): Readonly<APIKeyInfo> | null | Promise<APIKeyInfo | null> => {
  const cached = manager.validateCached(key)
  return cached === undefined ? manager.validateApiKey(key) : cached
}

const dropHeaders = (c: Context, names: readonly string[]): void => {
  const current = c.get('dropRequestHeaders')
  if (current) current.push(...names)
  else c.set('dropRequestHeaders', [...names])
}

const identify = (c: Context, info: Readonly<APIKeyInfo>): void => {
  const identity: APIKeyIdentity = { id: info.id, name: info.name }
  if (info.rateLimit !== undefined) identity.rateLimit = info.rateLimit
  if (info.tier !== undefined) identity.tier = info.tier
  c.set('apiKey', identity)
  c.set('clientId', info.id)
}

/**
 * The auth stage for a route with `requireAuth: true` (undefined for other routes, so they pay nothing).
 * Missing key → 401 `missing_api_key`; malformed, unknown, revoked or expired → 401 `invalid_api_key`
 * with a `WWW-Authenticate` challenge; a store failure → 503 `store_unavailable`. On success sets
 * `apiKey` (id, name, limit, tier: never the key) and `clientId`, and marks the key header to be
 * stripped before forwarding.
 *
 * @example
 * ```ts
 * const stage = authStage(route, { manager: gateway.apiKeyManager })
 * if (stage) handlers.push(stage)
 * ```
 */
export const authStage = (route: Route, deps: AuthStageDeps): MiddlewareHandler | undefined => {
  if (route.raw.requireAuth !== true) return undefined
  const { manager } = deps
  return async function authStage(c, next) {
    const presented = presentedKey(c)
    if (!presented)
      return jsonError(c, 401, 'missing_api_key', 'An API key is required: send X-API-Key or Authorization: Bearer', MISSING_CHALLENGE)
    let info: Readonly<APIKeyInfo> | null
    try {
      const found = validate(manager, presented.key)
      info = found instanceof Promise ? await found : found
    } catch {
      return jsonError(c, 503, 'store_unavailable', 'API keys cannot be checked right now')
    }
    if (!info) return jsonError(c, 401, 'invalid_api_key', 'The API key is not valid', INVALID_CHALLENGE)
    identify(c, info)
    dropHeaders(c, presented.headers)
    await next()
  }
}

/**
 * For routes without `requireAuth`: when the request carries a valid key, sets `apiKey` and `clientId`
 * (so limits follow the key) but never rejects. Any header holding a well-formed gateway key is stripped
 * before forwarding, valid or not; other Authorization values pass through untouched.
 *
 * @example
 * ```ts
 * app.use('*', identifyCaller({ manager }))
 * ```
 */
export const identifyCaller = (deps: AuthStageDeps): MiddlewareHandler => {
  const { manager } = deps
  return async function identifyCaller(c, next) {
    const presented = presentedKey(c)
    if (presented && manager.format.parse(presented.key)) {
      dropHeaders(c, presented.headers)
      try {
        const found = validate(manager, presented.key)
        const info = found instanceof Promise ? await found : found
        if (info) identify(c, info)
      } catch {
        // A store fault must not fail a request that needs no key: the caller stays anonymous.
      }
    }
    await next()
  }
}
