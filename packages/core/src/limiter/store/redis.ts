// The Redis parts (ioredis), kept apart so that a memory-only user never loads ioredis: `@tollgate/core/redis`.
export * from './redis-store.js'
export * from './redis-client.js'
export { CONSUME_SCRIPT } from './consume-script.js'
