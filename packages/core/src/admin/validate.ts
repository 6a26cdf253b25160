// Request-body checks for the admin API: each failure names the field it is about.
import type { Context } from 'hono'
import type { Clock } from '../clock.js'
import { ConfigError } from '../errors.js'

/** A 400 waiting to happen: a ConfigError about a request body field; `message` starts with the field's name. */
export class FieldError extends ConfigError {
  override readonly name = 'FieldError'
  readonly field: string
  /** `problem` is prefixed with the field's name unless it already names it (`rateLimit.burstSize …`). */
  constructor(field: string, problem: string) {
    super(problem.startsWith(field) ? problem : `${field}: ${problem}`, { path: field })
    this.field = field
  }
}

export type JSONObject = Record<string, unknown>

const isObject = (value: unknown): value is JSONObject => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The request body as a JSON object; an empty body counts as `{}` only when `allowEmpty`. */
export const readJSONObject = async (c: Context, allowEmpty = false): Promise<JSONObject> => {
  const text = await c.req.text()
  if (text.trim() === '') {
    if (allowEmpty) return {}
    throw new FieldError('body', 'expected a JSON object')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new FieldError('body', 'invalid JSON')
  }
  if (!isObject(value)) throw new FieldError('body', 'expected a JSON object')
  return value
}

/** Rejects fields that are not in `allowed`, so a typo (`expires_at`) is not silently ignored. */
export const onlyFields = (body: JSONObject, allowed: readonly string[]): void => {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) throw new FieldError(field, `unknown field (allowed: ${allowed.join(', ')})`)
  }
}

export const requiredString = (body: JSONObject, field: string, maxLength: number): string => {
  const value = body[field]
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw new FieldError(field, `required, a non-empty string of at most ${maxLength} characters`)
  }
  return value
}

export interface NewKeyBody {
  name: string
  rateLimit?: unknown
  tier?: string
  expiresAt?: number
  metadata?: JSONObject
}

export interface NewKeyChecks {
  validateRateLimit(value: unknown): string | undefined
  isTier(name: string): boolean
  clock: Clock
}

/** Largest accepted `metadata`, as JSON text. */
export const MAX_METADATA_BYTES = 4_096

export const tierField = (body: JSONObject, isTier: (name: string) => boolean): string => {
  const tier = body.tier
  if (typeof tier !== 'string' || tier === '') throw new FieldError('tier', 'required, a tier name')
  if (!isTier(tier)) throw new FieldError('tier', `unknown tier ${JSON.stringify(tier)}`)
  return tier
}

/** Checks `POST /keys`: {name, rateLimit?, tier?, expiresAt?, metadata?}. */
export const parseNewKey = (body: JSONObject, checks: NewKeyChecks): NewKeyBody => {
  onlyFields(body, ['name', 'rateLimit', 'tier', 'expiresAt', 'metadata'])
  const result: NewKeyBody = { name: requiredString(body, 'name', 200) }
  if (body.rateLimit !== undefined && body.rateLimit !== null) {
    if (!isObject(body.rateLimit)) throw new FieldError('rateLimit', 'expected an object')
    const problem = checks.validateRateLimit(body.rateLimit)
    if (problem) throw new FieldError('rateLimit', problem)
    result.rateLimit = body.rateLimit
  }
  if (body.tier !== undefined && body.tier !== null) result.tier = tierField(body, checks.isTier)
  if (body.expiresAt !== undefined && body.expiresAt !== null) {
    const raw = body.expiresAt
    const at = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : Number.NaN
    if (!Number.isFinite(at)) throw new FieldError('expiresAt', 'expected an ISO 8601 date string or epoch milliseconds')
    if (at <= checks.clock.now()) throw new FieldError('expiresAt', 'must be in the future')
    result.expiresAt = at
  }
  if (body.metadata !== undefined && body.metadata !== null) {
    if (!isObject(body.metadata)) throw new FieldError('metadata', 'expected an object')
    if (Buffer.byteLength(JSON.stringify(body.metadata)) > MAX_METADATA_BYTES) {
      throw new FieldError('metadata', `at most ${MAX_METADATA_BYTES} bytes of JSON`)
    }
    result.metadata = body.metadata
  }
  return result
}
