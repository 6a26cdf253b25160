// Purging for the admin API: everything, one path subtree, or one route's entries.
import type { Route } from '../routing/route.js'
import { normalizePrefix } from '../routing/normalize-path.js'
import { purgePrefixes } from './cache-key.js'
import type { CacheStore } from './store.js'

/**
 * Removes cached responses under a path prefix on segment boundaries (`/api/users` covers `/api/users?…` and
 * `/api/users/7`, never `/api/usersX`), or all of them when the prefix is absent or `/`. Resolves to the
 * number of records removed. This is what `DELETE /_admin/cache?prefix=/api/users` calls.
 * @example
 * const removed = await purgeCache(store, c.req.query('prefix'))
 * return c.json({ purged: removed })
 */
export const purgeCache = async (store: CacheStore, pathPrefix?: string): Promise<number> => {
  if (pathPrefix === undefined || pathPrefix === '') return store.purge()
  let removed = 0
  for (const prefix of purgePrefixes(normalizePrefix(pathPrefix))) {
    removed += prefix === '' ? await store.purge() : await store.purge(prefix)
  }
  return removed
}

/** Removes a route's cached responses (for example when the route is removed or its upstream changes). */
export const purgeRouteCache = (store: CacheStore, route: Pick<Route, 'prefix'>): Promise<number> => purgeCache(store, route.prefix)
