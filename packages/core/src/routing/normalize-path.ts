// Path normalisation done once per request, before matching and forwarding, so `..` cannot escape a route.

const DOT_ENCODED = /%2e/gi

/**
 * Collapses repeated slashes and resolves `.`/`..` segments (also their %2e spellings); never climbs above `/`.
 * Returns the input string itself when it is already normal, so the common case allocates nothing.
 */
export const normalizePath = (path: string): string => {
  if (path === '' || path[0] !== '/') path = `/${path}`
  if (!needsWork(path)) return path
  const segments = path.split('/')
  const out: string[] = []
  for (let i = 1; i < segments.length; i++) {
    const raw = segments[i]!
    const segment = raw.includes('%') ? raw.replace(DOT_ENCODED, '.') : raw
    if (segment === '..') out.pop()
    else if (segment !== '.' && segment !== '') out.push(raw)
  }
  const last = segments[segments.length - 1]!
  const trailing = path.length > 1 && (last === '' || last === '.' || last === '..' || /^(%2e){1,2}$/i.test(last))
  return `/${out.join('/')}${trailing && out.length > 0 ? '/' : ''}`
}

const needsWork = (path: string): boolean => {
  for (let i = 1; i < path.length; i++) {
    const ch = path.charCodeAt(i)
    if (ch === 47 /* / */ && path.charCodeAt(i - 1) === 47) return true
    if (ch === 46 /* . */ && path.charCodeAt(i - 1) === 47) {
      const next = path.charCodeAt(i + 1)
      if (Number.isNaN(next) || next === 47 || next === 46) return true
    }
    if (ch === 37 /* % */ && path.charCodeAt(i + 1) === 50 /* 2 */ && (path.charCodeAt(i + 2) | 32) === 101 /* e */) return true
  }
  return false
}

/** Normalises a route prefix: leading slash, no trailing slash (except the root `/`). */
export const normalizePrefix = (prefix: string): string => {
  const path = normalizePath(prefix)
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
