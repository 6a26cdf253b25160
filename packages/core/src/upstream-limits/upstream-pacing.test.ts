import { Redis } from 'ioredis'
import { DEFAULT_STORE_TIMEOUT_MS } from '../limiter/store/deadline.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js'
import { startThrottledUpstream, type ThrottleStats } from '../testing/throttled-upstream.js'
import { UpstreamGovernor } from './governor.js'
import type { UpstreamLimitOptions } from './options.js'
import { maxInAnyWindow, startStageGateway, type StageHarness } from './stage-harness.test-helper.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const LIMIT: UpstreamLimitOptions = { requestsPerSecond: 10, callerHeader: 'x-caller', maxWaitMs: 60_000 }

const call = async (url: string, caller: string): Promise<number> => {
  const res = await fetch(`${url}/api/items`, { headers: { 'x-caller': caller } })
  await res.arrayBuffer()
  return res.status
}

/**
 * The shape: one greedy caller sends 60 requests at once, two polite callers send 6 each, one after another
 * (the next right after the previous answer). Returns when each finished, in ms from the start, and every status.
 */
const greedyAndSequential = async (greedyUrl: string, politeUrls: readonly [string, string]) => {
  const started = Date.now()
  const statuses: number[] = []
  const greedy = Promise.all(Array.from({ length: 60 }, () => call(greedyUrl, 'greedy').then((s) => statuses.push(s)))).then(
    () => Date.now() - started,
  )
  const sequential = async (url: string, caller: string) => {
    for (let i = 0; i < 6; i++) statuses.push(await call(url, caller))
    return Date.now() - started
  }
  const [greedyMs, politeA, politeB] = await Promise.all([
    greedy,
    sequential(politeUrls[0], 'polite-a'),
    sequential(politeUrls[1], 'polite-b'),
  ])
  return { greedyMs, politeMs: [politeA, politeB], statuses }
}

const expectWithinBudget = (stats: ThrottleStats): void => {
  // Every window of 1 s, starting at any arrival, holds at most 10: the upstream's own clock, not the gateway's.
  expect(maxInAnyWindow(stats.arrivals, 1_000)).toBeLessThanOrEqual(10)
  expect(stats.rejected).toBe(0)
  expect(stats.admitted).toBe(72)
}

describe('smooth, fair pacing (10/s upstream)', () => {
  it('sequential callers get their share next to a greedy one, and no 1 s window holds more than 10', async () => {
    const { upstream, stats } = await startThrottledUpstream({ limit: 10, windowMs: 1_000 })
    cleanups.push(() => upstream.close())
    const gw = await startStageGateway(upstream, LIMIT)
    cleanups.push(gw.close)
    const { greedyMs, politeMs, statuses } = await greedyAndSequential(gw.url, [gw.url, gw.url])
    console.log(`[pacing] one instance: greedy done at ${greedyMs} ms, polite at ${politeMs.join(' / ')} ms`)
    expect(statuses.every((s) => s === 200)).toBe(true)
    for (const ms of politeMs) expect(ms).toBeLessThan(0.6 * greedyMs)
    expectWithinBudget(stats)
  })
})

describe.skipIf(!redisAvailable())('pacing across instances (Redis)', () => {
  let server: RedisServerHandle
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.close()
  })
  const client = () => {
    const c = new Redis(server.url, { maxRetriesPerRequest: 1 })
    cleanups.push(() => c.quit().catch(() => c.disconnect()))
    return c
  }
  const instance = async (upstream: Parameters<typeof startStageGateway>[0], prefix: string, limit = LIMIT): Promise<StageHarness> => {
    const gw = await startStageGateway(upstream, limit, { redis: client(), prefix })
    cleanups.push(gw.close)
    return gw
  }

  it('two instances on one Redis: together within 10 in any 1 s window, polite callers still get their share', async () => {
    const { upstream, stats } = await startThrottledUpstream({ limit: 10, windowMs: 1_000 })
    cleanups.push(() => upstream.close())
    const prefix = `p${Date.now()}`
    const [a, b] = [await instance(upstream, prefix), await instance(upstream, prefix)]
    // The greedy caller on one instance, the polite ones on the other: only Redis tells them apart.
    const { greedyMs, politeMs, statuses } = await greedyAndSequential(a.url, [b.url, b.url])
    console.log(`[pacing] two instances: greedy done at ${greedyMs} ms, polite at ${politeMs.join(' / ')} ms`)
    expect(statuses.every((s) => s === 200)).toBe(true)
    for (const ms of politeMs) expect(ms).toBeLessThan(0.6 * greedyMs)
    expectWithinBudget(stats)
    // Every key the shared state wrote expires.
    const keys = await client().keys(`${prefix}:*`)
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) expect(await client().pttl(key)).toBeGreaterThan(0)
  })

  it('the shared AIMD rate grows while the shared budget holds requests back', async () => {
    const prefix = `g${Date.now()}`
    const governor = new UpstreamGovernor({
      key: 'grow',
      prefix,
      redis: client(),
      adaptive: { increase: 1, minRate: 1, maxRate: 100, intervalMs: 200 },
      initialRatePerSecond: 4,
    })
    cleanups.push(() => governor.close())
    // Four callers that ask again as soon as they are answered: far more demand than 4/s.
    const until = Date.now() + 1_500
    await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        while (Date.now() < until) {
          await governor.acquire({ callerId: `c${i}` })
          governor.observe({ status: 200, headers: {} })
        }
      }),
    )
    expect(Number(await client().hget(`${prefix}:upstream:{grow}:rate`, 'rate'))).toBeGreaterThan(4)
    expect(governor.rate().ratePerSecond).toBeGreaterThan(4)
  })

  it('Redis paused 3 s: requests are paced locally after one store deadline, not held for the pause', async () => {
    const { upstream } = await startThrottledUpstream({ limit: 100, windowMs: 1_000 })
    cleanups.push(() => upstream.close())
    // The default store deadline: what a user gets without setting storeTimeoutMs.
    const storeTimeoutMs = DEFAULT_STORE_TIMEOUT_MS
    const gw = await instance(upstream, `z${Date.now()}`, { ...LIMIT, requestsPerSecond: 50 })
    expect(await call(gw.url, 'warm')).toBe(200) // Redis answered: the shared state is in use
    const admin = client()
    await admin.call('CLIENT', 'PAUSE', '3000', 'ALL')
    const pausedAt = Date.now()
    try {
      const took = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const started = Date.now()
          expect(await call(gw.url, `c${i % 3}`)).toBe(200)
          return Date.now() - started
        }),
      )
      console.log(`[pacing] Redis paused: requests took ${Math.max(...took)} ms at most (deadline ${storeTimeoutMs} ms)`)
      // Bound: one deadline, the local pace of 10 requests at 50/s (~200 ms) and the upstream; far below the 3 s pause.
      expect(Math.max(...took)).toBeLessThan(1_500)
      expect(Date.now() - pausedAt).toBeLessThan(2_000)
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => {})
    }
  })
})
