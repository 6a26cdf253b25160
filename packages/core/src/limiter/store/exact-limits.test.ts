// The shared-limit guarantee on a busy machine, with defaults: 3 gateways on one Redis admit exactly the limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APIGateway } from '../../gateway.js'
import { RateLimitAlgorithm } from '../types.js'
import { burst, countStatus } from '../../testing/burst.js'
import { startCPUHog, type CPUHog } from '../../testing/cpu-hog.js'
import { captureLogger } from '../../testing/gateway-harness.js'
import { rawRequest } from '../../testing/http-client.js'
import { startMockUpstream, type MockUpstream } from '../../testing/mock-upstream.js'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js'

const RUNS = 20
const LIMIT = 100
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
type Stats = { status: string; failures: number; fallbackDecisions: number }
const storeStats = async (url: string): Promise<Stats> => (await rawRequest(url, '/_health')).json().stores.rate_limit

describe.skipIf(!redisAvailable())('3 gateways × 300 concurrent on one Redis, defaults, CPU hog running', () => {
  let redis: RedisServerHandle
  let upstream: MockUpstream
  let hog: CPUHog
  const gateways: { gateway: APIGateway; url: string; logger: ReturnType<typeof captureLogger> }[] = []
  const urls = () => gateways.map((g) => g.url)

  beforeAll(async () => {
    redis = await startRedisServer()
    upstream = await startMockUpstream()
    for (let i = 0; i < 3; i++) {
      const logger = captureLogger()
      // No storeTimeoutMs: the guarantee is about what a user gets by default.
      const gateway = new APIGateway({ redisUrl: redis.url, keyPrefix: `exact${process.pid}`, logger })
      // keyBy a header: each run counts against a fresh key, so servers are reused across runs.
      gateway.registerRoute('/fixed', upstream.url, {
        rateLimit: { requestsPerHour: LIMIT, algorithm: RateLimitAlgorithm.FIXED_WINDOW, keyBy: 'x-run' },
      })
      gateway.registerRoute('/sliding', upstream.url, {
        rateLimit: { requestsPerHour: LIMIT, algorithm: RateLimitAlgorithm.SLIDING_WINDOW, keyBy: 'x-run' },
      })
      // Per minute: refills ~1.7 tokens a second, so the bound below has something to add.
      gateway.registerRoute('/bucket', upstream.url, {
        rateLimit: { requestsPerMinute: LIMIT, algorithm: RateLimitAlgorithm.TOKEN_BUCKET, keyBy: 'x-run' },
      })
      const { url } = await gateway.start({ port: 0 })
      gateways.push({ gateway, url, logger })
    }
    for (const { url } of gateways) expect((await rawRequest(url, '/fixed', { headers: { 'x-run': 'warm' } })).status).toBe(200)
    hog = startCPUHog()
  })
  afterAll(async () => {
    await hog?.stop()
    for (const { gateway } of gateways) await gateway.stop()
    await upstream?.close()
    await redis?.close()
  })

  /** Waits out the last seconds of an hour: a fixed window edge inside a burst would let a second window through. */
  const clearOfWindowEdge = async () => {
    const [seconds] = await gateways[0]!.gateway.redis!.time()
    const intoHour = Number(seconds) % 3600
    if (intoHour > 3590) await sleep((3601 - intoHour) * 1000)
  }

  let run = 0
  const exactRun = async (path: string) => {
    await clearOfWindowEdge()
    upstream.reset()
    const { statuses, ms } = await burst(urls(), 3 * LIMIT, path, { headers: { 'x-run': `${path}-${++run}` } })
    const admitted = countStatus(statuses, 200)
    expect(countStatus(statuses, 429)).toBe(statuses.length - admitted) // nothing but 200 and 429
    expect(upstream.count()).toBe(admitted)
    return { admitted, ms }
  }

  for (const path of ['/fixed', '/sliding']) {
    it(`${path.slice(1)} window: exactly ${LIMIT} admitted in each of ${RUNS} runs`, async () => {
      const admitted: number[] = []
      for (let i = 0; i < RUNS; i++) admitted.push((await exactRun(path)).admitted)
      expect(admitted).toEqual(Array(RUNS).fill(LIMIT))
    }, 45_000)
  }

  it(`token bucket: ${LIMIT} plus at most what refills during the burst, in each of ${RUNS} runs`, async () => {
    const seen: string[] = []
    for (let i = 0; i < RUNS; i++) {
      const { admitted, ms } = await exactRun('/bucket')
      // The bucket starts full; Redis' clock between the first and last decision is within the client's burst time.
      const refill = Math.floor((ms * LIMIT) / 60_000)
      seen.push(`${admitted} (≤ ${LIMIT + refill})`)
      expect(admitted, seen.join(', ')).toBeGreaterThanOrEqual(LIMIT)
      expect(admitted, seen.join(', ')).toBeLessThanOrEqual(LIMIT + refill)
    }
  }, 45_000)

  it('Redis killed and restarted: each gateway logs one outage and one recovery, and is exact again within 1 s of reconnecting', async () => {
    await redis.stop({ abrupt: true })
    const reconnected = gateways.map(
      ({ gateway }) => new Promise<number>((resolve) => gateway.redis!.once('ready', () => resolve(performance.now()))),
    )
    const deadline = performance.now() + 5_000
    while ((await Promise.all(urls().map(storeStats))).some((s) => s.status !== 'down')) {
      if (performance.now() > deadline) throw new Error('the gateways did not see Redis go down within 5 s')
      await sleep(20)
    }
    // During the outage every decision is local (fallback): still answered, never a 5xx.
    const during = await burst(urls(), 30, '/fixed', { headers: { 'x-run': 'outage' } })
    expect(countStatus(during.statuses, 200) + countStatus(during.statuses, 429)).toBe(30)

    await redis.restart()
    const lastReady = Math.max(...(await Promise.all(reconnected)))
    while ((await Promise.all(urls().map(storeStats))).some((s) => s.status !== 'up')) await sleep(10)
    expect(performance.now() - lastReady).toBeLessThan(1_000)
    const before = await Promise.all(urls().map(storeStats))
    const { admitted } = await exactRun('/fixed')
    expect(admitted).toBe(LIMIT)
    // Answered by Redis, not by the local fallback.
    expect((await Promise.all(urls().map(storeStats))).map((s) => s.fallbackDecisions)).toEqual(before.map((s) => s.fallbackDecisions))
    for (const { logger } of gateways) {
      expect(logger.lines.filter((l) => /unavailable/.test(l))).toEqual([expect.stringMatching(/^redis unavailable \(connection lost\)/)])
      expect(logger.lines.filter((l) => /available again/.test(l))).toHaveLength(1)
      expect(logger.lines.join('\n')).not.toMatch(/enableOfflineQueue|Stream isn't writeable|ioredis/)
    }
  }, 20_000)
})
