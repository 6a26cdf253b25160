// Header hygiene between client and upstream: hop-by-hop removal (RFC 9110 §7.6.1) and X-Forwarded-*/Via.

/** Hop-by-hop fields, plus `expect` (the gateway answers 100-continue itself) and Hono-irrelevant proxy auth. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
])

/** Fields the gateway sets itself, so a client cannot spoof them (trusted values are read separately). */
const GATEWAY_SET = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'via'])

/** Lower-case names listed in Connection (other than close/keep-alive), which are hop-by-hop too. */
const connectionListed = (value: string | undefined): Set<string> | undefined => {
  if (!value) return undefined
  let names: Set<string> | undefined
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase()
    if (name && name !== 'close' && name !== 'keep-alive') (names ??= new Set()).add(name)
  }
  return names
}

export interface ForwardedInfo {
  /** Host header to send upstream. */
  host: string
  clientIp: string
  /** X-Forwarded-For to send: the trusted chain plus the client, or just the client. */
  forwardedFor: string
  proto: string
  forwardedHost: string
  via: string
  drop: readonly string[] | undefined
}

/**
 * Builds upstream request headers from Node's flat rawHeaders list ([name, value, name, value, …]).
 * Duplicates are joined (cookies with "; "), hop-by-hop and gateway-owned fields are dropped.
 */
export const upstreamRequestHeaders = (raw: readonly string[], info: ForwardedInfo): Record<string, string> => {
  const out: Record<string, string> = {}
  let listed: Set<string> | undefined
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') listed = connectionListed(raw[i + 1])
  }
  const drop = info.drop
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (HOP_BY_HOP.has(name) || GATEWAY_SET.has(name)) continue
    if (listed?.has(name) || drop?.includes(name)) continue
    const value = raw[i + 1]!
    const previous = out[name]
    out[name] = previous === undefined ? value : previous + (name === 'cookie' ? '; ' : ', ') + value
  }
  out.host = info.host
  out['x-forwarded-for'] = info.forwardedFor
  out['x-forwarded-proto'] = info.proto
  out['x-forwarded-host'] = info.forwardedHost
  out.via = info.via
  return out
}

/** Flattens a Headers object into Node's rawHeaders shape (for requests that did not come from a socket). */
export const flattenHeaders = (headers: Headers): string[] => {
  const raw: string[] = []
  headers.forEach((value, name) => void raw.push(name, value))
  return raw
}

/** Removes hop-by-hop fields from an upstream response's headers in place and appends Via. */
export const cleanResponseHeaders = (
  headers: Record<string, string | string[] | undefined>,
  via: string,
): Record<string, string | string[]> => {
  const connection = headers.connection
  const listed = connectionListed(Array.isArray(connection) ? connection.join(',') : connection)
  for (const name in headers) {
    if (headers[name] === undefined || HOP_BY_HOP.has(name) || listed?.has(name)) delete headers[name]
  }
  const existing = headers.via
  headers.via = existing ? `${existing}, ${via}` : via
  return headers as Record<string, string | string[]>
}
