// API keys' options, declared once: the route's `requireAuth` and the gateway's `apiKeys`.
import { boolean, instance, z } from '../schema/kit.js'
import type { APIKeyManager, APIKeyManagerOptions } from './api-key-manager.js'

export const authRouteSchema = z.strictObject({
  /** Require a valid API key (X-API-Key or Authorization: Bearer); missing or invalid → 401. Default false. */
  requireAuth: boolean().optional(),
})

export const keysGatewaySchema = z.strictObject({
  /** The API-key manager, or options for the one the gateway creates (store, serverSecret, cacheTtlMs…). */
  apiKeys: instance<APIKeyManager | APIKeyManagerOptions>(
    'an APIKeyManager or its options object',
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  ).optional(),
})

declare module '../options.js' {
  interface GatewayOptions extends z.input<typeof keysGatewaySchema> {}
}
