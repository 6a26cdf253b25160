// API keys: issuing, storing, validating, and the auth stage that requires them.
export * from './types.js'
export * from './key-format.js'
export * from './api-key-manager.js'
export * from './memory-key-store.js'
export * from './file-key-store.js'
export * from './redis-key-store.js'
export * from './auth-stage.js'
export * from './client-tiers.js'
