// Runtime tier assignments: an API key's tier lives in its record (shared by every instance), other client ids here.
import { TIER_LIMITS, type RateLimitConfig, type Tier } from '../limiter/config.js'
import type { APIKeyManager } from './api-key-manager.js'
import { KEY_ID_LENGTH } from './key-format.js'

/** What a tier assignment changed, and what now limits that caller. */
export interface TierAssignment {
  id: string
  tier: Tier
  /** `api_key`: the key's record was updated (all instances, within the key cache's TTL); `client`: an IP or other id, this instance. */
  scope: 'api_key' | 'client'
  /** `tier`: the tier's preset limits the caller; `key_rate_limit`: the key's own rateLimit still does (it wins over tiers). */
  applies: 'tier' | 'key_rate_limit'
  /** The caller limit that applies now. */
  rateLimit: Readonly<RateLimitConfig>
}

const KEY_ID = new RegExp(`^[0-9A-Za-z]{${KEY_ID_LENGTH}}$`)

/**
 * The gateway's `setClientTier`: the most recent assignment wins, whatever tier a key was created with.
 * @example
 * const tiers = new ClientTiers(manager)
 * await tiers.set('203.0.113.7', Tier.PREMIUM) // { scope: 'client', … }
 */
export class ClientTiers {
  readonly #manager: APIKeyManager
  readonly #tiers = new Map<string, Tier>()

  constructor(manager: APIKeyManager) {
    this.#manager = manager
  }

  /** The tier set here for a client id that is not an API key. */
  get(id: string): Tier | undefined {
    return this.#tiers.get(id)
  }

  /** Assigns `tier` to a key id (in its record) or a client id (synchronously, before the returned promise settles). */
  async set(id: string, tier: Tier): Promise<TierAssignment> {
    if (!KEY_ID.test(id)) return this.#setClient(id, tier)
    const info = await this.#manager.setTier(id, tier)
    if (!info) return this.#setClient(id, tier)
    const own = info.rateLimit
    return typeof own === 'object' && own !== null
      ? { id, tier, scope: 'api_key', applies: 'key_rate_limit', rateLimit: own as RateLimitConfig }
      : { id, tier, scope: 'api_key', applies: 'tier', rateLimit: TIER_LIMITS[tier] }
  }

  #setClient(id: string, tier: Tier): TierAssignment {
    this.#tiers.set(id, tier)
    return { id, tier, scope: 'client', applies: 'tier', rateLimit: TIER_LIMITS[tier] }
  }
}
