// Test helpers shipped as @tollgate/core/testing: a mock upstream, a throwaway redis-server and Redis Cluster.
export * from './mock-upstream.js'
export * from './redis-server.js'
export * from './redis-cluster.js'
export * from './http-client.js'
export * from './gateway-harness.js'
export * from './throttled-upstream.js'
export * from './cpu-hog.js'
export * from './burst.js'
