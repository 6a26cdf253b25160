// A memory-only user of the packed @tollgate/core (no ioredis installed), run under plain node by package.test.ts.
import { APIGateway, logging } from '@tollgate/core'
import { startMockUpstream } from '@tollgate/core/testing'

const quiet = { debug() {}, info() {}, warn() {}, error() {} }
const upstream = await startMockUpstream()
const gateway = new APIGateway({ logger: quiet })
gateway.registerRoute('/api', upstream.url, { id: 'api', requireAuth: true })
gateway.addMiddleware(logging({ logger: quiet }))
gateway.addMiddleware(async function routeTag(c, next) {
  await next()
  c.header('x-route', c.get('route').id)
})
const key = await gateway.apiKeyManager.createApiKey('consumer')
const { url } = await gateway.start({ port: 0, host: '127.0.0.1' })
const allowed = await fetch(`${url}/api/hello`, { headers: { 'X-API-Key': key } })
const denied = await fetch(`${url}/api/hello`)
const metrics = await (await fetch(`${url}/_metrics`)).json()
await gateway.stop()
await upstream.close()

// redisUrl without ioredis: start() says what to install instead of failing at import time.
const withRedis = new APIGateway({ redisUrl: 'redis://127.0.0.1:1', logger: quiet })
const redisError = await withRedis.start({ port: 0, host: '127.0.0.1' }).then(
  () => 'started',
  (error) => error.message,
)
await withRedis.stop()

console.log(
  JSON.stringify({ allowed: allowed.status, route: allowed.headers.get('x-route'), denied: denied.status, requests: metrics.requests_total, redisError }),
)
