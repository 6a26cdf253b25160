// A Redis the stores cannot use as configured (a cluster node given as one URL, a read-only replica): detected at
// start, one log line, /_health degraded, and no request answered 500.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js'

const ADMIN = 'admin-token-0123456789'

describe.skipIf(!redisAvailable())('a misconfigured Redis', () => {
  let cluster: RedisClusterHandle
  let master: RedisServerHandle
  let replica: RedisServerHandle
  const h = createHarness()
  beforeAll(async () => {
    ;[cluster, master] = await Promise.all([startRedisCluster({ masters: 3 }), startRedisServer()])
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] })
  }, 30_000)
  afterEach(() => h.close())
  afterAll(async () => {
    await Promise.all([cluster?.close(), replica?.close(), master?.close()])
  })

  const exercise = async (redisUrl: string, problem: RegExp) => {
    const logger = captureLogger()
    const upstream = await h.upstream()
    const { gateway, url } = await h.gateway(
      (g) => {
        g.registerRoute('/limited', upstream.url, { rateLimit: { requestsPerMinute: 1_000 } })
        g.registerRoute('/cached', upstream.url, { cacheTtl: 60 })
        g.registerRoute('/private', upstream.url, { requireAuth: true })
      },
      { redisUrl, logger, adminToken: ADMIN },
    )
    for (let tries = 0; gateway.health().status !== 'degraded'; tries++) {
      expect(tries).toBeLessThan(100)
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(gateway.health()).toMatchObject({ status: 'degraded', stores: { problem: expect.stringMatching(problem) } })
    const health = await rawRequest(url, '/_health')
    expect(health.json()).toMatchObject({ status: 'degraded', stores: { problem: expect.stringMatching(problem) } })

    const statuses: number[] = []
    for (let i = 0; i < 20; i++)
      statuses.push((await rawRequest(url, `/limited/${i}`, { headers: { 'x-forwarded-for': `10.0.0.${i}` } })).status)
    for (let i = 0; i < 10; i++) statuses.push((await rawRequest(url, `/cached/${i}`)).status)
    statuses.push((await rawRequest(url, '/private/x', { headers: { 'x-api-key': 'tg_nosuchkey_000000000000000000000000' } })).status)
    const created = await rawRequest(url, '/_admin/keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'x-request-id': 'req-misconfigured-1' },
      body: JSON.stringify({ name: 'app' }),
    })
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([])
    expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true)
    // Creating a key cannot work on this Redis: a 503 naming why, logged with the request id, never a 500.
    expect(created.status).toBe(503)
    expect(created.json().error.code).toBe('store_unavailable')
    expect(logger.lines.filter((line) => line.includes('req-misconfigured-1'))).toHaveLength(1)
    expect(logger.lines.filter((line) => problem.test(line) && line.includes('/_health says degraded'))).toHaveLength(1)
    expect(logger.lines.filter((line) => line.includes('500'))).toEqual([])
  }

  it('a Redis Cluster node given as redisUrl', async () => {
    await exercise(cluster.nodes[0]!.url, /is a Redis Cluster node but is configured as a single server/)
  })

  it('a read-only replica given as redisUrl', async () => {
    await exercise(replica.url, /is a read-only replica/)
  })

  it('a single server given as a cluster', async () => {
    const logger = captureLogger()
    const upstream = await h.upstream()
    const { gateway, url } = await h.gateway((g) => g.registerRoute('/limited', upstream.url, { rateLimit: { requestsPerMinute: 10 } }), {
      redis: { cluster: [`127.0.0.1:${master.port}`] },
      logger,
    })
    for (let tries = 0; gateway.health().status !== 'degraded'; tries++) {
      expect(tries).toBeLessThan(200)
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(gateway.health()).toMatchObject({ stores: { problem: expect.stringMatching(/is not a Redis Cluster/) } })
    expect((await rawRequest(url, '/limited/x')).status).toBe(200)
    expect(logger.lines.filter((line) => line.includes('is not a Redis Cluster'))).toHaveLength(1)
  })
})
