// The cache's route options (merged into RouteOptions) and their validation.
import { ConfigError } from '../routing/resolve-options.js'
import type { RouteOptions } from '../routing/route.js'

declare module '../routing/route.js' {
  interface RouteOptions {
    /** Cache GET/HEAD responses for this many seconds (an upstream max-age/s-maxage that is shorter wins). Default: no cache. */
    cacheTtl?: number
    /** Seconds past expiry during which a cached response is served (X-Cache: STALE) when the upstream fails. Default 0. */
    staleIfError?: number
    /** On requireAuth routes, share one entry across API keys instead of one per key. Default false. */
    cacheShared?: boolean
    /** Make the normalised Accept-Encoding part of the key, so gzip and plain never mix. Default true. */
    cacheVaryOnEncoding?: boolean
    /** Largest body stored, in bytes; larger bodies are streamed through uncached. Default 1 MiB. */
    cacheMaxBodyBytes?: number
    /**
     * Origin-steering request headers (X-Forwarded-Scheme, X-Original-URL, True-Client-IP…) to forward and make part
     * of the cache key instead of stripping them. Default none: every steering header is stripped on cached routes.
     */
    cacheKeyHeaders?: string[]
    /**
     * Forward the body of a GET/HEAD upstream on a cached route (such requests always bypass the cache, since the
     * key cannot cover a body). Default false: the body is dropped.
     */
    forwardGetBody?: boolean
  }
}

/** The cache options of one route after defaults and validation, in milliseconds and bytes. */
export interface ResolvedCacheOptions {
  ttlMs: number
  staleIfErrorMs: number
  shared: boolean
  varyOnEncoding: boolean
  maxBodyBytes: number
  /** Lower-case steering headers forwarded and keyed (`cacheKeyHeaders`). */
  keyHeaders: readonly string[]
  forwardGetBody: boolean
  /** True on routes with `requireAuth`: entries are then private to the caller's key unless `shared`. */
  requireAuth: boolean
}

export const DEFAULT_CACHE_MAX_BODY_BYTES = 1024 * 1024

const nonNegative = (field: string, value: unknown, allowZero: boolean): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(
      `options.${field} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${JSON.stringify(value) ?? String(value)}`,
    )
  }
  return value
}

const boolean = (field: string, value: unknown, fallback: boolean): boolean => {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new ConfigError(`options.${field} must be a boolean, got ${JSON.stringify(value) ?? String(value)}`)
  return value
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/

const headerNames = (field: string, value: unknown): string[] => {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && TOKEN.test(v.toLowerCase()))) {
    throw new ConfigError(`options.${field} must be a list of header names, got ${JSON.stringify(value) ?? String(value)}`)
  }
  return [...new Set(value.map((v: string) => v.toLowerCase()))].sort()
}

/**
 * Validates a route's cache options. Returns undefined when the route has no `cacheTtl` (cache off);
 * throws a ConfigError naming the field on a bad value, including cache fields given without `cacheTtl`.
 * @example
 * resolveCacheOptions({ cacheTtl: 300, staleIfError: 60 }) // { ttlMs: 300_000, staleIfErrorMs: 60_000, … }
 */
export const resolveCacheOptions = (raw: Readonly<RouteOptions>): ResolvedCacheOptions | undefined => {
  const { cacheTtl, staleIfError, cacheShared, cacheVaryOnEncoding, cacheMaxBodyBytes, cacheKeyHeaders, forwardGetBody } = raw
  if (cacheTtl === undefined) {
    const fields = { staleIfError, cacheShared, cacheVaryOnEncoding, cacheMaxBodyBytes, cacheKeyHeaders, forwardGetBody }
    for (const [field, value] of Object.entries(fields)) {
      if (value !== undefined) throw new ConfigError(`options.${field} needs options.cacheTtl`)
    }
    return undefined
  }
  const maxBodyBytes =
    cacheMaxBodyBytes === undefined ? DEFAULT_CACHE_MAX_BODY_BYTES : nonNegative('cacheMaxBodyBytes', cacheMaxBodyBytes, true)
  if (!Number.isInteger(maxBodyBytes)) throw new ConfigError(`options.cacheMaxBodyBytes must be an integer, got ${maxBodyBytes}`)
  return {
    ttlMs: Math.round(nonNegative('cacheTtl', cacheTtl, false) * 1000),
    staleIfErrorMs: staleIfError === undefined ? 0 : Math.round(nonNegative('staleIfError', staleIfError, true) * 1000),
    shared: boolean('cacheShared', cacheShared, false),
    varyOnEncoding: boolean('cacheVaryOnEncoding', cacheVaryOnEncoding, true),
    maxBodyBytes,
    keyHeaders: headerNames('cacheKeyHeaders', cacheKeyHeaders),
    forwardGetBody: boolean('forwardGetBody', forwardGetBody, false),
    requireAuth: (raw as { requireAuth?: unknown }).requireAuth === true,
  }
}
