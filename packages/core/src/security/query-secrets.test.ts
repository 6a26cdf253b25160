// Attack: an API key sent in the query string must not become a cache key, a log line or a metric (issue 10.4).
import type { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { logging, type LoggingOptions } from '../middleware/logging.js'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { redisAvailable } from '../testing/redis-server.js'
import { useRedis } from '../testing/redis-fixture.js'

const h = createHarness()
afterEach(() => h.close())

const SECRET = 'tg_live_SECRET_0123456789'

/** Every key in the database and every value and member it holds, as text. */
const dumpRedis = async (redis: Redis): Promise<string> => {
  const parts: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000)
    cursor = next
    for (const key of keys) {
      parts.push(key)
      const type = await redis.type(key)
      if (type === 'string') parts.push((await redis.getBuffer(key))?.toString('latin1') ?? '')
      else if (type === 'zset') parts.push(...(await redis.zrange(key, 0, -1)))
      else if (type === 'hash') parts.push(...Object.entries(await redis.hgetall(key)).flat())
      else if (type === 'set') parts.push(...(await redis.smembers(key)))
    }
  } while (cursor !== '0')
  return parts.join('\n')
}

describe.skipIf(!redisAvailable())('credentials in the query string on a cached route', () => {
  const fixture = useRedis()
  afterEach(() => fixture.redis.flushdb())

  it('bypasses the cache, so nothing in Redis, the logs or the metrics holds the secret', async () => {
    const up = await h.upstream()
    const logger = captureLogger()
    const { url } = await h.gateway(
      (g) => {
        g.addMiddleware(logging({ logger: logger as unknown as NonNullable<LoggingOptions['logger']> }))
        g.registerRoute('/api', up.url, { cacheTtl: 60, id: 'catalog' })
      },
      { redisUrl: fixture.server.url, logger, adminToken: 'admin-token-for-tests' },
    )
    for (const query of [
      `api_key=${SECRET}`,
      `page=2&API_KEY=${SECRET}`,
      `access_token=${SECRET}`,
      `ApiKey=${SECRET}`,
      `token=${SECRET}`,
    ]) {
      const answer = await rawRequest(url, `/api/items?${query}`)
      expect([answer.status, answer.headers['x-cache']], query).toEqual([200, 'BYPASS'])
    }
    // The same route still caches requests without credentials (so the store was reachable all along).
    expect((await rawRequest(url, '/api/items?page=2')).headers['x-cache']).toBe('MISS')
    expect((await rawRequest(url, '/api/items?page=2')).headers['x-cache']).toBe('HIT')

    const stored = await dumpRedis(fixture.redis)
    expect(stored).toContain('/api/items?page=2')
    expect(stored).not.toContain(SECRET)
    expect(logger.lines.join('\n')).not.toContain(SECRET)
    const metrics = await rawRequest(url, '/_metrics/prometheus', { headers: { authorization: 'Bearer admin-token-for-tests' } })
    const json = await rawRequest(url, '/_metrics', { headers: { authorization: 'Bearer admin-token-for-tests' } })
    expect(`${metrics.body}\n${json.body}`).not.toContain(SECRET)
    // The upstream itself still gets the request as sent: the policy is about what the gateway keeps.
    expect(up.received[0]!.url).toBe(`/api/items?api_key=${SECRET}`)
  })

  it('uses the configured parameter names instead of the defaults', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60 }), {
      redisUrl: fixture.server.url,
      cache: { secretQueryParams: ['sig'] },
    })
    expect((await rawRequest(url, `/api/items?sig=${SECRET}`)).headers['x-cache']).toBe('BYPASS')
    expect((await rawRequest(url, '/api/items?token=public')).headers['x-cache']).toBe('MISS')
    expect(await dumpRedis(fixture.redis)).not.toContain(SECRET)
  })
})
