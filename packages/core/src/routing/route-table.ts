// Longest-prefix route matching on path-segment boundaries.
import type { Route } from './route.js'

/** True when `path` is `prefix` or lies below it (`/api/users` covers `/api/users/7`, not `/api/usersX`). */
export const prefixCovers = (prefix: string, path: string): boolean => {
  if (prefix === '/') return true
  if (!path.startsWith(prefix)) return false
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47
}

/** Routes kept sorted longest prefix first, so the first match is the most specific one. */
export class RouteTable {
  #routes: Route[] = []

  get routes(): readonly Route[] {
    return this.#routes
  }

  add(route: Route): void {
    if (this.#routes.some((r) => r.prefix === route.prefix)) {
      throw new Error(`registerRoute: a route for prefix "${route.prefix}" already exists (remove it first with removeRoute)`)
    }
    if (this.#routes.some((r) => r.id === route.id)) {
      throw new Error(`registerRoute: options.id "${route.id}" is already used by another route`)
    }
    // Copy-on-write: a request iterating the old array while a route is added at runtime is unaffected.
    this.#routes = [...this.#routes, route].sort((a, b) => b.prefix.length - a.prefix.length)
  }

  remove(prefixOrId: string): Route | undefined {
    const found = this.#routes.find((r) => r.id === prefixOrId || r.prefix === prefixOrId)
    if (found) this.#routes = this.#routes.filter((r) => r !== found)
    return found
  }

  match(path: string): Route | undefined {
    const routes = this.#routes
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!
      if (prefixCovers(route.prefix, path)) return route
    }
    return undefined
  }
}
