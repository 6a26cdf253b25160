// Rate limit stores without Redis: memory, and the guard that any store can be wrapped in.
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js'
export * from './guarded-store.js'
export * from './store-error.js'
export * from './deadline.js'
export * from './connection.js'
