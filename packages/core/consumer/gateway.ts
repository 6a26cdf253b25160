// Typechecked against the packed @tollgate/core by package.test.ts, with moduleResolution NodeNext and Bundler.
import { APIGateway, ConfigError, type GatewayOptions, type RateLimitConfig, type RouteOptions } from '@tollgate/core'
import { GuardedStore } from '@tollgate/core/limiter'
import { hash32 } from '@tollgate/core/pool'
import { routeOptionsSchema } from '@tollgate/core/schema'
import { startMockUpstream } from '@tollgate/core/testing'
import { FairQueue } from '@tollgate/core/upstream-limits'
import type { MiddlewareHandler } from 'hono'

const limit: RateLimitConfig = { requestsPerMinute: 60 }
const options: GatewayOptions = { trustProxy: 1, defaultRateLimit: limit }
const gateway = new APIGateway(options)

// Every capability's fields reach the root's option types; power-user pieces come from named subpaths.
const capabilityFields: [RouteOptions, GatewayOptions] = [
  { cacheTtl: 30, requireAuth: true, rateLimit: false },
  { cache: { maxSizeBytes: 1024 }, upstreamTierWeights: { free: 1 }, apiKeys: { cacheTtlMs: 1_000 } },
]
const internals: unknown[] = [GuardedStore, hash32, routeOptionsSchema, FairQueue, capabilityFields]

// The gateway's typed context variables reach the user's Hono (one copy: hono is a peer dependency).
const routeTag: MiddlewareHandler = async (c, next) => {
  await next()
  const id: string = c.get('route').id
  // @ts-expect-error apiKey is undefined on routes without auth
  const keyId: string = c.get('apiKey').id
  c.header('x-route', `${id}${keyId}`)
}
gateway.addMiddleware(routeTag)

const upstream = await startMockUpstream()
gateway.registerRoute('/api', upstream.url, { timeoutMs: 5_000, retry: { attempts: 2 } })
const key: string = await gateway.apiKeyManager.createApiKey('typed')
const started: { url: string; port: number } = await gateway.start({ port: 0 })
console.log(started.url, key, new ConfigError('x') instanceof Error, internals.length)
await gateway.stop()
await upstream.close()
