// The response cache's options, declared once: the route's cache fields and the gateway's `cache`.
import { boolean, headerName, instance, integer, number, text, z } from '../schema/kit.js'
import type { CacheStore } from './store.js'

const CACHE_FIELDS = [
  'staleIfError',
  'cacheShared',
  'cacheVaryOnEncoding',
  'cacheMaxBodyBytes',
  'cacheKeyHeaders',
  'forwardGetBody',
] as const

export const cacheRouteSchema = z
  .strictObject({
    /** Cache GET/HEAD responses for this many seconds (an upstream max-age/s-maxage that is shorter wins). Default: no cache. */
    cacheTtl: z
      .number({ error: () => 'a positive number of seconds' })
      .positive({ error: () => 'a positive number of seconds' })
      .optional(),
    /** Seconds past expiry during which a cached response is served (X-Cache: STALE) when the upstream fails. Default 0. */
    staleIfError: number(0).optional(),
    /** On requireAuth routes, share one entry across API keys instead of one per key. Default false. */
    cacheShared: boolean().optional(),
    /** Make the normalised Accept-Encoding part of the key, so gzip and plain never mix. Default true. */
    cacheVaryOnEncoding: boolean().optional(),
    /** Largest body stored, in bytes; larger bodies are streamed through uncached. Default 1 MiB. */
    cacheMaxBodyBytes: integer(0).optional(),
    /**
     * Origin-steering request headers (X-Forwarded-Scheme, X-Original-URL, True-Client-IP…) to forward and make part
     * of the cache key instead of stripping them. Default none: every steering header is stripped on cached routes.
     */
    cacheKeyHeaders: z.array(headerName()).optional(),
    /**
     * Forward the body of a GET/HEAD upstream on a cached route (such requests always bypass the cache, since the
     * key cannot cover a body). Default false: the body is dropped.
     */
    forwardGetBody: boolean().optional(),
  })
  .superRefine((options, ctx) => {
    if (options.cacheTtl !== undefined) return
    for (const field of CACHE_FIELDS) {
      if (options[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: '!needs cacheTtl (the cache is off without it)' })
    }
  })

export const cacheGatewaySchema = z.strictObject({
  /** Response cache store; default memory (64 MiB), or Redis when redisUrl is set. */
  cache: z
    .strictObject({
      store: instance<CacheStore>('a CacheStore', (value) => typeof value === 'object' && value !== null).optional(),
      /** Most bytes the memory cache holds. Default 64 MiB. */
      maxSizeBytes: integer(1).optional(),
      /** Query parameters that carry credentials: requests holding one bypass the cache. Default DEFAULT_SECRET_QUERY_PARAMS. */
      secretQueryParams: z.array(text('a parameter name')).optional(),
    })
    .optional(),
})

declare module '../options.js' {
  interface GatewayOptions extends z.input<typeof cacheGatewaySchema> {}
}
