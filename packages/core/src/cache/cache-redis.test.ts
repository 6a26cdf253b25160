// The Redis-backed cache against a real redis-server: bounded under distinct URLs, bounded in time when paused.
import type { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { redisAvailable } from '../testing/redis-server.js'
import { useRedis } from '../testing/redis-fixture.js'
import { DEFAULT_STORE_TIMEOUT_MS } from '../limiter/store/deadline.js'

const h = createHarness()
afterEach(() => h.close())

/** Every key under `pattern`, by SCAN (which skips keys that have expired). */
const scanAll = async (redis: Redis, pattern: string): Promise<string[]> => {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

describe.skipIf(!redisAvailable())('Redis cache store through the gateway', () => {
  const fixture = useRedis()

  it('leaves (almost) nothing in Redis 3 s after 2,000 distinct URLs cached for 1 s', async () => {
    const up = await h.upstream()
    const keyPrefix = 'bounds'
    const { gateway } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 1 }), {
      redisUrl: fixture.server.url,
      keyPrefix,
    })
    const misses: string[] = []
    for (let batch = 0; batch < 40; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => gateway.fetch(new Request(`http://gw.test/api/item?n=${batch * 50 + i}`))),
      )
      for (const answer of answers) {
        misses.push(answer.headers.get('x-cache') ?? '')
        await answer.arrayBuffer()
      }
    }
    expect(misses.filter((m) => m === 'MISS')).toHaveLength(2_000)
    const written = await scanAll(fixture.redis, `${keyPrefix}:cache*`)
    // Records plus the index, unless the machine was so slow that early ones have already expired.
    expect(written.length).toBeGreaterThan(1)
    expect(await fixture.redis.zcard(`${keyPrefix}:cache-index`)).toBeGreaterThan(0)

    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(await scanAll(fixture.redis, `${keyPrefix}:cache*`)).toEqual([])
    expect(await fixture.redis.exists(`${keyPrefix}:cache-index`)).toBe(0)
  }, 30_000)

  it('answers within the store deadline while Redis is paused, and logs the outage once', async () => {
    const up = await h.upstream()
    const logger = captureLogger()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { cacheTtl: 60 }), {
      redisUrl: fixture.server.url,
      keyPrefix: 'paused',
      logger,
    })
    expect((await rawRequest(url, '/api/hot')).headers['x-cache']).toBe('MISS')
    expect((await rawRequest(url, '/api/hot')).headers['x-cache']).toBe('HIT')

    const pausedAt = performance.now()
    await fixture.redis.client('PAUSE', 3_000)
    const timings: number[] = []
    const statuses: string[] = []
    for (const path of ['/api/hot', '/api/cold', '/api/hot', '/api/other']) {
      const started = performance.now()
      const answer = await rawRequest(url, path)
      timings.push(performance.now() - started)
      statuses.push(`${answer.status} ${answer.headers['x-cache']}`)
    }
    // Every request was answered by the upstream while Redis held its commands.
    expect(performance.now() - pausedAt).toBeLessThan(2_500)
    expect(statuses).toEqual(['200 MISS', '200 MISS', '200 MISS', '200 MISS'])
    // One deadline (plus the upstream's few ms and a loaded machine's slack), far from the 3 s pause.
    for (const ms of timings) expect(ms).toBeLessThan(DEFAULT_STORE_TIMEOUT_MS * 2 + 500)

    const down = logger.lines.filter((line) => line.includes('cache store is down'))
    expect(down).toHaveLength(1)
    expect(down[0]).not.toMatch(/ioredis|at .*\.js/)
    // After the pause, the next call that reaches Redis brings the cache back, with one "up" line.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3_200 - (performance.now() - pausedAt))))
    await rawRequest(url, '/api/hot')
    await rawRequest(url, '/api/hot')
    expect(logger.lines.filter((line) => line.includes('cache store is up again'))).toHaveLength(1)
    expect((await rawRequest(url, '/api/hot')).headers['x-cache']).toBe('HIT')
  }, 30_000)
})
