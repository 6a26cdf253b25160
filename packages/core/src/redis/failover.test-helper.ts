// The failover suites' common part: 2 rate-limited gateways on one Redis option, load across a failover, and its checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import { DEFAULT_STORE_TIMEOUT_MS } from '../limiter/store/deadline.js'
import { RateLimitAlgorithm } from '../limiter/types.js'
import type { RedisOption } from '../redis/schema.js'
import { burst, countStatus } from '../testing/burst.js'
import { captureLogger } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { startMockUpstream, type MockUpstream } from '../testing/mock-upstream.js'

// Generous: on a 2-core machine under a CPU hog the slowest request measured ~1.4 s (cluster); a hung one never returns.
const SLACK_MS = 2_500
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export interface LoadSample {
  /** performance.now() when the request was sent. */
  at: number
  ms: number
  /** 0 when the request failed or was still open after 10 s. */
  status: number
}

type Stats = { status: 'up' | 'down'; fallbackDecisions: number }
const storeOf = (gateway: APIGateway): Stats => (gateway.health() as { stores: { rate_limit: Stats } }).stores.rate_limit

export interface Fleet {
  readonly gateways: { gateway: APIGateway; url: string; lines: string[] }[]
  /** 2 × limit concurrent requests for a fresh caller `run`, round-robin: how many were admitted (only 200/429, each 200 forwarded). */
  admitted(run: string): Promise<number>
  /** Steady load (8 loops, one request at a time each) on caller `run` until the returned stop() resolves the samples. */
  load(run: string): { stop(): Promise<LoadSample[]> }
  /** Resolves once every gateway's rate-limit store reports `status`. */
  untilStore(status: 'up' | 'down', timeoutMs: number): Promise<void>
  /** Fallback decisions per gateway so far. */
  fallbackDecisions(): number[]
  close(): Promise<void>
}

/** Starts 2 gateways on `redis` with the default store options and a `/api` route limited to `limit` per hour per `x-run`. */
const startFleet = async (redis: RedisOption, limit: number): Promise<Fleet> => {
  const upstream: MockUpstream = await startMockUpstream()
  const gateways: Fleet['gateways'] = []
  for (let i = 0; i < 2; i++) {
    const logger = captureLogger()
    // Defaults only: storeTimeoutMs and onStoreFailure are what a user gets.
    const gateway = new APIGateway({ redis, keyPrefix: `failover${process.pid}`, logger })
    gateway.registerRoute('/api', upstream.url, {
      rateLimit: { requestsPerHour: limit, algorithm: RateLimitAlgorithm.FIXED_WINDOW, keyBy: 'x-run' },
    })
    const { url } = await gateway.start({ port: 0 })
    await gateway.ready()
    gateways.push({ gateway, url, lines: logger.lines })
  }
  const urls = gateways.map((g) => g.url)
  // Callers spread over every shard, one request at a time: each master loads the script before any burst.
  for (let i = 0; i < 12; i++) await rawRequest(urls[i % 2]!, '/api', { headers: { 'x-run': `warm-${i}` } })
  return {
    gateways,
    async admitted(run) {
      upstream.reset()
      const { statuses } = await burst(urls, 2 * limit, '/api', { headers: { 'x-run': run } })
      const admitted = countStatus(statuses, 200)
      expect(countStatus(statuses, 429), `statuses: ${statuses.join(',')}`).toBe(statuses.length - admitted)
      expect(upstream.count()).toBe(admitted)
      return admitted
    },
    load(run) {
      const samples: LoadSample[] = []
      let running = true
      const loop = async (id: number) => {
        for (let i = id; running; i++) {
          const at = performance.now()
          const status = await rawRequest(urls[i % 2]!, '/api', { headers: { 'x-run': run }, signal: AbortSignal.timeout(10_000) }).then(
            (res) => res.status,
            () => 0,
          )
          samples.push({ at, ms: performance.now() - at, status })
          await sleep(5)
        }
      }
      const loops = Array.from({ length: 8 }, (_, id) => loop(id))
      return {
        async stop() {
          running = false
          await Promise.all(loops)
          return samples
        },
      }
    },
    async untilStore(status, timeoutMs) {
      const deadline = performance.now() + timeoutMs
      while (gateways.some((g) => storeOf(g.gateway).status !== status)) {
        if (performance.now() > deadline) throw new Error(`the gateways' stores were not ${status} within ${timeoutMs} ms`)
        await sleep(10)
      }
    },
    fallbackDecisions: () => gateways.map((g) => storeOf(g.gateway).fallbackDecisions),
    async close() {
      for (const { gateway } of gateways) await gateway.stop()
      await upstream.close()
    },
  }
}

/**
 * What a failover must look like from outside, for load `samples` taken across it (killed at `killedAt`): every
 * request answered (200 or 429, never a 5xx or a hang) within the store deadline plus slack, by the fallback on
 * every gateway while the master was gone; since `marks`, each gateway logged at most one outage, each outage
 * one recovery, in the gateway's own words (no client internals), and with `everyGatewayLogs` exactly one each.
 */
const expectFailoverHandled = (
  fleet: Fleet,
  samples: LoadSample[],
  killedAt: number,
  marks: { lines: number[]; fallback: number[] },
  everyGatewayLogs: boolean,
) => {
  const bad = samples.filter((s) => s.status !== 200 && s.status !== 429)
  expect(bad, JSON.stringify(bad.slice(0, 5))).toEqual([])
  const slowest = Math.max(...samples.map((s) => s.ms))
  expect(slowest, `slowest request ${Math.round(slowest)} ms`).toBeLessThan(DEFAULT_STORE_TIMEOUT_MS + SLACK_MS)
  expect(samples.filter((s) => s.at > killedAt).length).toBeGreaterThan(10) // traffic ran through the failover
  const fallback = fleet.fallbackDecisions()
  expect(
    fallback.every((count, i) => count > marks.fallback[i]!),
    `fallback decisions ${marks.fallback.join(',')} → ${fallback.join(',')}`,
  ).toBe(true)
  const outages = fleet.gateways.map(({ lines }, i) => {
    const since = lines.slice(marks.lines[i])
    const down = since.filter((l) => /unavailable/.test(l))
    expect(down, since.join('\n')).toEqual(down.length ? [expect.stringMatching(/^redis unavailable \(/)] : [])
    expect(
      since.filter((l) => /available again/.test(l)),
      since.join('\n'),
    ).toHaveLength(down.length)
    expect(since.join('\n')).not.toMatch(/ECONNREFUSED|CLUSTERDOWN|Connection is closed|sentinels are unreachable|ioredis/)
    return down.length
  })
  expect(outages).toEqual(everyGatewayLogs ? outages.map(() => 1) : expect.arrayContaining([1]))
}

export interface FailoverSetup {
  /** The gateways' `redis` option. */
  redis: RedisOption
  /** Kills the master holding caller `run`'s keys (SIGKILL) and resolves once a replica has taken over. */
  failover(run: string): Promise<void>
  /**
   * Whether every gateway must log the outage: true when the connection drops (Sentinel). On a cluster a dead
   * master's slots just stop answering, and a gateway logs an outage only when its failures are sustained (see
   * GuardedStore); with fewer, each failing decision still goes to the fallback.
   */
  everyGatewayLogs: boolean
  close(): Promise<void>
}

/**
 * A failover suite: 2 gateways on `start()`'s Redis with the default store options, exact before; then the master
 * killed under load must be handled (see expectFailoverHandled) and the limit exact again after, decided by Redis.
 * @example
 * describeFailover('Sentinel failover', async () => { … return { redis: { sentinels, name }, failover, close } })
 */
export const describeFailover = (title: string, start: () => Promise<FailoverSetup>, options: { skip: boolean }) =>
  describe.skipIf(options.skip)(title, () => {
    const LIMIT = 50
    let setup: FailoverSetup
    let fleet: Fleet

    beforeAll(async () => {
      setup = await start()
      fleet = await startFleet(setup.redis, LIMIT)
    }, 30_000)
    afterAll(async () => {
      await fleet?.close()
      await setup?.close()
    })

    it('exact across both gateways', async () => {
      expect(await fleet.admitted('before')).toBe(LIMIT)
    })

    it('master killed mid-load: answered within the store deadline, one outage and one recovery logged, exact again after', async () => {
      const load = fleet.load('load')
      await sleep(300)
      const marks = { lines: fleet.gateways.map((g) => g.lines.length), fallback: fleet.fallbackDecisions() }
      const killedAt = performance.now()
      await setup.failover('load')
      await fleet.untilStore('up', 15_000)
      await sleep(300)
      const samples = await load.stop()

      expectFailoverHandled(fleet, samples, killedAt, marks, setup.everyGatewayLogs)
      const before = fleet.fallbackDecisions()
      expect(await fleet.admitted('after')).toBe(LIMIT)
      expect(fleet.fallbackDecisions()).toEqual(before) // Redis decided, not the fallback
    }, 40_000)
  })
