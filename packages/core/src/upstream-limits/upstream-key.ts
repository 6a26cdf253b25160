// What a budget belongs to: the upstream's origin, a hash of the credential, and the upstream's resource bucket.
import { createHash } from 'node:crypto'

/** sha256 of the credential, truncated: identifies a budget without ever holding the secret. */
export const credentialKey = (authorization: string | undefined | null): string =>
  authorization ? createHash('sha256').update(authorization).digest('hex').slice(0, 16) : 'anonymous'

/** `origin|credential[|resource]`: the unit a budget, a pause and a learned rate belong to. */
export const upstreamKey = (origin: string, credential: string, resource?: string): string =>
  resource ? `${origin}|${credential}|${resource}` : `${origin}|${credential}`
