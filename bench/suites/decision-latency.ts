// Latency of GuardedStore decisions against a real redis-server at 300 concurrent, with and without a CPU hog:
// the figures DEFAULT_STORE_TIMEOUT_MS is chosen from. Run: pnpm bench decision-latency   (~30 s)
// Two shapes: the store alone (300 decisions at once), and inside 3 gateways answering 300 concurrent HTTP
// requests in one process, where decisions share the event loop with sockets and proxying (the test's shape).
import { APIGateway } from '../../packages/core/src/gateway.js'
import { RateLimitAlgorithm, type LimitRule } from '../../packages/core/src/limiter/types.js'
import { DEFAULT_STORE_TIMEOUT_MS } from '../../packages/core/src/limiter/store/deadline.js'
import { GuardedStore } from '../../packages/core/src/limiter/store/guarded-store.js'
import { createRedisClient, redisReady } from '../../packages/core/src/limiter/store/redis-client.js'
import { RedisStore } from '../../packages/core/src/limiter/store/redis-store.js'
import { startCPUHog } from '../../packages/core/src/testing/cpu-hog.js'
import { captureLogger } from '../../packages/core/src/testing/gateway-harness.js'
import { rawRequest } from '../../packages/core/src/testing/http-client.js'
import { startMockUpstream } from '../../packages/core/src/testing/mock-upstream.js'
import { startRedisServer } from '../../packages/core/src/testing/redis-server.js'
import { formatFixed, formatTable } from '../lib/stats.js'
import { heading, runSuite, writeResults } from '../lib/suite.js'

const CONCURRENCY = 300
const WAVES = Number(process.env.BENCH_LATENCY_WAVES ?? 40)
const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 100, windowMs: 60_000 }]

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

/** WAVES bursts of CONCURRENCY decisions issued at once (one key per caller, as distinct clients would); ms per decision. */
const measure = async (store: GuardedStore, tag: string): Promise<number[]> => {
  const latencies: number[] = []
  for (let wave = 0; wave < WAVES; wave++) {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, i) => {
        const started = performance.now()
        await store.consume(`${tag}:${wave}:${i % 100}`, rules, 1)
        latencies.push(performance.now() - started)
      }),
    )
  }
  return latencies.sort((a, b) => a - b)
}

/** Every GuardedStore decision's duration while `run` goes on (the gateway's guard is private: time the class). */
const timeDecisions = async (run: () => Promise<void>): Promise<number[]> => {
  const latencies: number[] = []
  const original = GuardedStore.prototype.consumeMany
  GuardedStore.prototype.consumeMany = async function (this: GuardedStore, entries) {
    const started = performance.now()
    try {
      return await original.call(this, entries)
    } finally {
      latencies.push(performance.now() - started)
    }
  }
  try {
    await run()
  } finally {
    GuardedStore.prototype.consumeMany = original
  }
  return latencies.sort((a, b) => a - b)
}

/** WAVES / 2 bursts of CONCURRENCY HTTP requests spread over 3 gateways on one Redis (limit 100 per burst). */
const gatewayBursts = async (redisUrl: string, tag: string): Promise<number[]> => {
  const upstream = await startMockUpstream()
  const gateways = Array.from(
    { length: 3 },
    () => new APIGateway({ redisUrl, keyPrefix: `bench${process.pid}${tag}`, logger: captureLogger() }),
  )
  try {
    const urls: string[] = []
    for (const gateway of gateways) {
      gateway.registerRoute('/api', upstream.url, { rateLimit: { requestsPerHour: 100, algorithm: RateLimitAlgorithm.FIXED_WINDOW } })
      urls.push((await gateway.start({ port: 0 })).url)
    }
    for (const url of urls) await rawRequest(url, '/api/warm', { headers: { 'x-wave': 'warm' } })
    return await timeDecisions(async () => {
      for (let wave = 0; wave < WAVES / 2; wave++) {
        await gateways[0]!.redis!.flushdb()
        await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => rawRequest(urls[i % 3]!, '/api/items')))
      }
    })
  } finally {
    for (const gateway of gateways) await gateway.stop()
    await upstream.close()
  }
}

const summary = (sorted: readonly number[]): Record<string, number> => ({
  p50: percentile(sorted, 0.5),
  p99: percentile(sorted, 0.99),
  p999: percentile(sorted, 0.999),
  max: sorted.at(-1)!,
  overDefault: sorted.filter((ms) => ms > DEFAULT_STORE_TIMEOUT_MS).length,
  decisions: sorted.length,
})

runSuite('decision-latency', 120_000, async () => {
  console.log(heading(`GuardedStore decision latency, real redis-server, ${CONCURRENCY} concurrent × ${WAVES} waves`))
  const server = await startRedisServer()
  const client = createRedisClient(server.url, { logger: captureLogger() })
  const results: Record<string, Record<string, number>> = {}
  try {
    await redisReady(client)
    // A deadline far above any answer: the latency itself is measured, never the fallback.
    const store = new GuardedStore(new RedisStore({ client, prefix: `bench${process.pid}` }), { timeoutMs: 60_000 })
    await measure(store, 'warm')
    for (const load of ['idle', 'cpu hog (2 busy processes)'] as const) {
      const hog = load === 'idle' ? undefined : startCPUHog()
      try {
        results[`store alone, ${load}`] = summary(await measure(store, load))
        results[`3 gateways, ${load}`] = summary(await gatewayBursts(server.url, load === 'idle' ? 'i' : 'h'))
      } finally {
        await hog?.stop()
      }
    }
  } finally {
    client.disconnect()
    await server.close()
  }
  const rows = Object.entries(results).map(([load, r]) => [
    load,
    formatFixed(r.p50!, 1),
    formatFixed(r.p99!, 1),
    formatFixed(r.p999!, 1),
    formatFixed(r.max!, 1),
    `${r.overDefault} of ${r.decisions}`,
  ])
  console.log(formatTable(['load', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', `> default ${DEFAULT_STORE_TIMEOUT_MS} ms`], rows))
  await writeResults('decision-latency', { concurrency: CONCURRENCY, waves: WAVES, defaultTimeoutMs: DEFAULT_STORE_TIMEOUT_MS, results })
})
