// Header hygiene between client and upstream: hop-by-hop removal (RFC 9110 §7.6.1), client identity and Via.

import type { Context } from 'hono'
import { trustedChain, type ProxyTrust } from './client-ip.js'
import { incomingOf } from './node-bindings.js'
import { requestHeader } from './request-header.js'

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

/** Fields the gateway always sets itself (from the connection and the trusted chain), so a client cannot spoof them. */
const GATEWAY_SET = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'via'])

/**
 * Client-identity fields other than the gateway's own: forwarded only from a trusted peer (with every other
 * `X-Forwarded-*`), since an upstream may believe them.
 */
const CLIENT_IDENTITY = new Set(['true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'x-cluster-client-ip', 'fastly-client-ip'])

/** Whether a (lower-case) request header states who the client is or how it connected. */
export const isClientIdentityHeader = (name: string): boolean => CLIENT_IDENTITY.has(name) || name.startsWith('x-forwarded-')

/** Lower-case names listed in Connection (other than close/keep-alive), which are hop-by-hop too. */
const connectionListed = (value: string | undefined): Set<string> | undefined => {
  if (!value || value === 'keep-alive' || value === 'close') return undefined
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
  /** The client IP the gateway determined: sent as X-Real-IP. */
  clientIp: string
  /** X-Forwarded-For to send: what the trusted chain vouches for plus the peer, or just the peer. */
  forwardedFor: string
  /** The scheme of the client's connection (or of the trusted proxy's X-Forwarded-Proto). */
  proto: string
  forwardedHost: string
  via: string
  /** The socket peer is a trusted proxy: its other identity headers (True-Client-IP, X-Forwarded-Port…) pass. */
  trusted: boolean
  drop: readonly string[] | undefined
}

/**
 * Builds upstream request headers from Node's flat rawHeaders list ([name, value, name, value, …]).
 * Duplicates are joined (cookies with "; "), hop-by-hop and gateway-owned fields are dropped, and so are client
 * identity fields unless the peer is a trusted proxy; then the gateway's own X-Forwarded-*, X-Real-IP and Via are set.
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
    if (!info.trusted && isClientIdentityHeader(name)) continue
    if (listed?.has(name) || drop?.includes(name)) continue
    const value = raw[i + 1]!
    const previous = out[name]
    out[name] = previous === undefined ? value : previous + (name === 'cookie' ? '; ' : ', ') + value
  }
  out.host = info.host
  out['x-forwarded-for'] = info.forwardedFor
  out['x-forwarded-proto'] = info.proto
  out['x-forwarded-host'] = info.forwardedHost
  out['x-real-ip'] = info.clientIp
  out.via = info.via
  return out
}

/** The first value of a list header (`https, http` → `https`), trimmed and lower-cased; undefined when empty. */
const firstValue = (value: string | undefined): string | undefined => {
  const first = value?.split(',')[0]?.trim().toLowerCase()
  return first ? first : undefined
}

/**
 * What the gateway tells the upstream about the client, from the connection itself and what a trusted peer
 * vouches for. The scheme is the connection's (TLS or not), never the request target's: an absolute
 * `https://…` target sent over plain HTTP is `http`. Without a socket (fetch()), the URL the host server built is used.
 */
export const forwardedInfo = (c: Context, trust: ProxyTrust, via: string): ForwardedInfo => {
  const incoming = incomingOf(c)
  const peer = c.get('peerIp') ?? c.get('clientIp')
  const trusted = trust(peer, 0)
  const clientHost = requestHeader(c, 'host') ?? ''
  const chain = trusted ? trustedChain(peer, requestHeader(c, 'x-forwarded-for'), trust) : undefined
  // A TLSSocket has `encrypted: true`; node-server builds c.req.url from the request target, so it is not used then.
  const tls = incoming ? (incoming.socket as { encrypted?: boolean }).encrypted === true : c.req.url.startsWith('https:')
  return {
    host: clientHost, // replaced by the chosen target's host unless the route preserves it
    clientIp: c.get('clientIp') ?? (chain ? chain[chain.length - 1]! : peer),
    forwardedFor: chain ? chain.reverse().join(', ') : peer,
    proto: (trusted && firstValue(requestHeader(c, 'x-forwarded-proto'))) || (tls ? 'https' : 'http'),
    forwardedHost: (trusted && requestHeader(c, 'x-forwarded-host')?.split(',')[0]?.trim()) || clientHost,
    via,
    trusted,
    drop: c.get('dropRequestHeaders'),
  }
}

/** Flattens a Headers object into Node's rawHeaders shape (for requests that did not come from a socket). */
export const flattenHeaders = (headers: Headers): string[] => {
  const raw: string[] = []
  headers.forEach((value, name) => void raw.push(name, value))
  return raw
}

/**
 * An upstream answer's headers for the client: flat [name, value, …] pairs (lower-case names) without hop-by-hop
 * fields, with the gateway appended to Via.
 */
export const cleanResponseHeaders = (pairs: readonly string[], via: string): string[] => {
  let connection: string | undefined
  let existingVia: string | undefined
  for (let i = 0; i < pairs.length; i += 2) {
    if (pairs[i] === 'connection') connection = connection === undefined ? pairs[i + 1] : `${connection},${pairs[i + 1]}`
  }
  const listed = connectionListed(connection)
  const out: string[] = []
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue
    if (name === 'via') existingVia = existingVia === undefined ? pairs[i + 1] : `${existingVia}, ${pairs[i + 1]}`
    else out.push(name, pairs[i + 1]!)
  }
  out.push('via', existingVia ? `${existingVia}, ${via}` : via)
  return out
}

/** Node's rawHeaders ([Name, value, …] as received) with lower-case names. */
export const lowerCaseNames = (raw: readonly string[]): string[] => raw.map((item, i) => (i % 2 === 0 ? item.toLowerCase() : item))
