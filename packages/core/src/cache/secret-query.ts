// Query parameters that carry credentials: a request holding one never reads or writes the cache.
import { ConfigError } from '../errors.js'

/**
 * Parameter names treated as credentials by default (compared case-insensitively, after percent-decoding).
 * `cache.secretQueryParams` replaces the list.
 */
export const DEFAULT_SECRET_QUERY_PARAMS: readonly string[] = [
  'api_key',
  'apikey',
  'api-key',
  'key',
  'token',
  'access_token',
  'auth_token',
  'id_token',
  'refresh_token',
  'client_secret',
  'password',
  'secret',
  'signature',
]

/** Validates `cache.secretQueryParams` and returns the lower-case names (the defaults when absent). */
export const resolveSecretQueryParams = (names: unknown): ReadonlySet<string> => {
  if (names === undefined) return new Set(DEFAULT_SECRET_QUERY_PARAMS)
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n !== '')) {
    throw new ConfigError(`options.cache.secretQueryParams must be a list of parameter names, got ${JSON.stringify(names)}`)
  }
  return new Set(names.map((n: string) => n.toLowerCase()))
}

/**
 * Whether a raw query string (without `?`) holds a parameter named like a credential. Names are decoded first,
 * so `API%5FKEY=…` counts as `api_key`.
 * @example
 * hasSecretQueryParam('page=2&api_key=abc', new Set(['api_key'])) // true
 */
export const hasSecretQueryParam = (search: string, names: ReadonlySet<string>): boolean => {
  if (search === '' || names.size === 0) return false
  for (const name of new URLSearchParams(search).keys()) if (names.has(name.toLowerCase())) return true
  return false
}
