// Who the client is: the socket peer, or the X-Forwarded-For entry that trustProxy allows us to believe.
import proxyAddr from 'proxy-addr'
import { ConfigError } from '../errors.js'

/**
 * The `trustProxy` option: `true` (every peer), a number of trusted hops, or a list of proxy addresses, CIDR
 * ranges (`10.0.0.0/8`, `fd00::/8`) and proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = boolean | number | readonly string[]

/** A compiled trustProxy: whether the address `hop` hops from the gateway (0 = the socket peer) may be believed. */
export type ProxyTrust = (address: string, hop: number) => boolean

const TRUST_NONE: ProxyTrust = () => false
const TRUST_ALL: ProxyTrust = () => true

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
export const normalizeIp = (ip: string): string => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip)

/**
 * Validates `trustProxy` and compiles it once (lists through proxy-addr, the implementation Express uses).
 * @example
 * const trust = compileTrustProxy(['10.0.0.0/8', 'loopback'])
 * trust('10.1.2.3', 0) // true
 */
export const compileTrustProxy = (value: unknown): ProxyTrust => {
  if (value === undefined || value === false || value === 0) return TRUST_NONE
  if (value === true) return TRUST_ALL
  if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 100) return (_, hop) => hop < value
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    try {
      const compiled = proxyAddr.compile(value.map((v: string) => normalizeIp(v.trim())))
      return (address, hop) => compiled(address, hop)
    } catch (error) {
      throw new ConfigError(`options.trustProxy: ${(error as Error).message}`)
    }
  }
  throw new ConfigError(
    `options.trustProxy must be true, false, a number of trusted hops, or a list of proxy IPs / CIDR ranges, got ${JSON.stringify(value)}`,
  )
}

/**
 * The addresses the trusted chain vouches for, from the socket peer to the client: `[peer, proxy…, client]`
 * (just `[peer]` when the peer is not trusted). X-Forwarded-For is walked from the right; the walk stops at the
 * first address that is not a trusted proxy, and entries left of it (which anyone could have written) are dropped.
 */
export const trustedChain = (peer: string, xff: string | undefined, trust: ProxyTrust): string[] => {
  const chain = [peer]
  if (!xff || !trust(peer, 0)) return chain
  const entries = xff.split(',')
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = normalizeIp(entries[i]!.trim())
    if (address === '') continue
    chain.push(address)
    if (!trust(address, chain.length - 1)) break
  }
  return chain
}

/** The client IP: the last address of the trusted chain. */
export const resolveClientIp = (peer: string, xff: string | undefined, trust: ProxyTrust): string => {
  const chain = trustedChain(peer, xff, trust)
  return chain[chain.length - 1]!
}

/** Whether forwarded headers from this peer may be believed. */
export const peerTrusted = (peer: string, trust: ProxyTrust): boolean => trust(peer, 0)
