// Test helpers shipped as @tollgate/core/testing: a mock upstream and a throwaway redis-server.
export * from './mock-upstream.js'
export * from './redis-server.js'
export * from './http-client.js'
export * from './gateway-harness.js'
export * from './throttled-upstream.js'
export * from './cpu-hog.js'
export * from './burst.js'
export * from './redis-sentinel.js'
