// What a budget belongs to: the upstream's origin, a hash of the credential, and the upstream's resource bucket.
import { hash } from 'node:crypto'

/** sha256 of the credential, truncated: identifies a budget without ever holding the secret. */
export const credentialKey = (authorization: string | undefined | null): string =>
  authorization ? hash('sha256', authorization, 'hex').slice(0, 16) : 'anonymous'

/** `origin|credential[|resource]`: the unit a budget, a pause and a learned rate belong to. */
export const upstreamKey = (origin: string, credential: string, resource?: string): string =>
  resource ? `${origin}|${credential}|${resource}` : `${origin}|${credential}`
