// API-key auth as a capability: on requireAuth routes a valid key is required; elsewhere a valid key identifies the caller.
import { defineCapability } from '../capability.js'
import { authStage, identifyCaller } from './auth-stage.js'
import { authRouteSchema, keysGatewaySchema } from './schema.js'

export const authCapability = defineCapability({
  name: 'auth',
  order: 100,
  schema: authRouteSchema,
  gatewaySchema: keysGatewaySchema,
  install(host) {
    const manager = host.apiKeyManager
    const callerIdentity = identifyCaller({ manager })
    host.setStage('auth', (route) => authStage(route, { manager }) ?? callerIdentity)
  },
})
