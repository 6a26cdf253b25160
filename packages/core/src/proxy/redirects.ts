// Upstream answers that name the upstream's own address (Location, Content-Location, Set-Cookie Domain/Path),
// rewritten to the gateway's public address and route prefix, as nginx's proxy_redirect default does.

/** How a route maps public paths to one target's paths. */
export interface PathMapping {
  /** `http://127.0.0.1:8001`: the target's origin. */
  targetOrigin: string
  /** The target URL's path without a trailing slash ('' for a bare origin). */
  targetBasePath: string
  routePrefix: string
  stripPrefix: boolean
}

/** Where clients reach the gateway: `https://api.example.com` (from Host, or trusted X-Forwarded-Host/-Proto). */
export interface PublicAddress {
  origin: string
  hostname: string
}

/** The public path of an upstream path, or undefined when the path lies outside what the route maps to the target. */
export const publicPath = (upstreamPath: string, m: PathMapping): string | undefined => {
  let rest = upstreamPath
  if (m.targetBasePath) {
    if (upstreamPath !== m.targetBasePath && !upstreamPath.startsWith(`${m.targetBasePath}/`)) return undefined
    rest = upstreamPath.slice(m.targetBasePath.length) || '/'
  }
  return m.stripPrefix && m.routePrefix !== '/' ? m.routePrefix + rest : rest
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:|^\/\//i

/**
 * A Location or Content-Location value as the client should see it: an absolute URL on the target's origin (or a
 * path-absolute one on a stripped prefix or a target base path) moves to the public origin and route prefix;
 * anything else (another site, a relative reference) is left as it is.
 * @example
 * rewriteLocation('http://127.0.0.1:19080/new.txt', { targetOrigin: 'http://127.0.0.1:19080', targetBasePath: '',
 *   routePrefix: '/files', stripPrefix: true }, { origin: 'https://api.example.com', hostname: 'api.example.com' })
 * // 'https://api.example.com/files/new.txt'
 */
export const rewriteLocation = (value: string, m: PathMapping, pub: PublicAddress): string => {
  if (ABSOLUTE.test(value)) {
    let url: URL
    try {
      url = new URL(value, m.targetOrigin)
    } catch {
      return value
    }
    if (url.origin !== m.targetOrigin) return value
    const path = publicPath(url.pathname, m)
    return path === undefined ? value : pub.origin + path + url.search + url.hash
  }
  if (!value.startsWith('/')) return value
  const end = value.search(/[?#]/)
  const path = publicPath(end < 0 ? value : value.slice(0, end), m)
  return path === undefined ? value : path + (end < 0 ? '' : value.slice(end))
}

/** A Set-Cookie value whose Domain is the target's host and whose Path is under the target, moved to the public ones. */
export const rewriteSetCookie = (value: string, m: PathMapping, pub: PublicAddress): string => {
  const targetHost = new URL(m.targetOrigin).hostname.toLowerCase()
  return value
    .split(';')
    .map((part, i) => {
      if (i === 0) return part
      const eq = part.indexOf('=')
      const name = part
        .slice(0, eq < 0 ? undefined : eq)
        .trim()
        .toLowerCase()
      const attribute = eq < 0 ? '' : part.slice(eq + 1).trim()
      if (name === 'domain' && attribute.replace(/^\./, '').toLowerCase() === targetHost) return ` Domain=${pub.hostname}`
      if (name === 'path' && attribute.startsWith('/')) {
        const path = publicPath(attribute, m)
        if (path !== undefined) return ` Path=${path}`
      }
      return part
    })
    .join(';')
}

/** Applies the rewrites a route asks for to an upstream's response headers, in place. */
export const rewriteResponseAddresses = (
  headers: string[],
  m: PathMapping,
  pub: () => PublicAddress,
  options: { redirects: boolean; cookies: boolean },
): void => {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]
    if (options.redirects && (name === 'location' || name === 'content-location'))
      headers[i + 1] = rewriteLocation(headers[i + 1]!, m, pub())
    else if (options.cookies && name === 'set-cookie') headers[i + 1] = rewriteSetCookie(headers[i + 1]!, m, pub())
  }
}
