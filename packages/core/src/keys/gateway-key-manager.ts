// The gateway's APIKeyManager: the one given in `apiKeys`, or one built on the gateway's key store and clock.
import type { Clock } from '../clock.js'
import type { GatewayStores } from '../gateway-stores.js'
import type { GatewayOptions, Logger } from '../options.js'
import { APIKeyManager, type APIKeyManagerOptions } from './api-key-manager.js'

export interface KeyManagerDeps {
  clock: Clock
  logger: Logger
  stores: GatewayStores
  validateRateLimit: APIKeyManagerOptions['validateRateLimit']
  isTier: APIKeyManagerOptions['isTier']
}

/** `options.apiKeys` when it is a manager; else a manager on the shared key store, with `apiKeys` options on top. */
export const gatewayKeyManager = (apiKeys: GatewayOptions['apiKeys'], { stores, ...deps }: KeyManagerDeps): APIKeyManager =>
  apiKeys instanceof APIKeyManager
    ? apiKeys
    : new APIKeyManager({ ...deps, store: stores.keys, storeTimeoutMs: stores.timeoutMs, ...apiKeys })
