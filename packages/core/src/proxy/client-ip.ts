// Who the client is: the socket peer, or the X-Forwarded-For entry that trustProxy allows us to believe.

export type TrustProxy = boolean | number | readonly string[]

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
export const normalizeIp = (ip: string): string => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip)

/**
 * The client IP. `trust` true: the left-most X-Forwarded-For entry; a number N: the entry N hops from the
 * right (N trusted proxies); a list: walk X-Forwarded-For from the right, skipping trusted proxy addresses.
 */
export const resolveClientIp = (peer: string, xff: string | undefined, trust: TrustProxy): string => {
  if (trust === false || !xff || trust === 0) return peer
  const chain = xff
    .split(',')
    .map((s) => normalizeIp(s.trim()))
    .filter(Boolean)
  if (chain.length === 0) return peer
  if (trust === true) return chain[0]!
  if (typeof trust === 'number') return chain[Math.max(0, chain.length - trust)] ?? peer
  if (!trust.includes(peer)) return peer
  for (let i = chain.length - 1; i >= 0; i--) if (!trust.includes(chain[i]!)) return chain[i]!
  return chain[0]!
}

/** Whether forwarded headers from this peer may be believed. */
export const peerTrusted = (peer: string, trust: TrustProxy): boolean =>
  trust === true || (typeof trust === 'number' && trust > 0) || (Array.isArray(trust) && trust.includes(peer))
