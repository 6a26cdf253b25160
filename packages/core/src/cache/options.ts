// The cache's route options (typed from cache/schema.ts, merged into RouteOptions) resolved to milliseconds and bytes.
import type { z } from 'zod'
import type { RouteOptions } from '../routing/route.js'
import type { cacheRouteSchema } from './schema.js'

declare module '../routing/route.js' {
  interface RouteOptions extends z.input<typeof cacheRouteSchema> {}
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

/**
 * A route's cache options in milliseconds and bytes, or undefined when the route has no `cacheTtl` (cache off).
 * The values were validated by registerRoute (cache/schema.ts).
 * @example
 * resolveCacheOptions({ cacheTtl: 300, staleIfError: 60 }) // { ttlMs: 300_000, staleIfErrorMs: 60_000, … }
 */
export const resolveCacheOptions = (raw: Readonly<RouteOptions>): ResolvedCacheOptions | undefined => {
  const { cacheTtl, staleIfError, cacheShared, cacheVaryOnEncoding, cacheMaxBodyBytes, cacheKeyHeaders, forwardGetBody } = raw
  if (cacheTtl === undefined) return undefined
  return {
    ttlMs: Math.round(cacheTtl * 1000),
    staleIfErrorMs: Math.round((staleIfError ?? 0) * 1000),
    shared: cacheShared ?? false,
    varyOnEncoding: cacheVaryOnEncoding ?? true,
    maxBodyBytes: cacheMaxBodyBytes ?? DEFAULT_CACHE_MAX_BODY_BYTES,
    keyHeaders: [...new Set((cacheKeyHeaders ?? []).map((name) => name.toLowerCase()))].sort(),
    forwardGetBody: forwardGetBody ?? false,
    requireAuth: raw.requireAuth === true,
  }
}
