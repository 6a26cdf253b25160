// Limiter decisions per second on one redis-server vs a 3-master Redis Cluster, at concurrency 256, through the
// gateway's own client factory and RedisStore. Run: pnpm bench limiter-cluster   (~30 s; starts its own servers)
// Many callers (distinct keys) so the cluster's decisions spread over its masters. On a 2-core machine the three
// masters share the cores with the benchmark: the ratio says what a cluster costs the gateway's process (CPU µs per
// decision), not what it adds in capacity on separate hosts.
import type { RedisClient } from '../../packages/core/src/redis/client-factory.js'
import { createRedisConnection } from '../../packages/core/src/redis/client-factory.js'
import { RateLimitAlgorithm, type LimitRule } from '../../packages/core/src/limiter/types.js'
import { redisReady } from '../../packages/core/src/limiter/store/redis-client.js'
import { RedisStore } from '../../packages/core/src/limiter/store/redis-store.js'
import { startRedisCluster } from '../../packages/core/src/testing/redis-cluster.js'
import { startRedisServer } from '../../packages/core/src/testing/redis-server.js'
import { formatFixed, formatTable } from '../lib/stats.js'
import { heading, runSuite, writeResults } from '../lib/suite.js'

const CONCURRENCY = 256
const MS = Number(process.env.BENCH_CLUSTER_MS ?? 2_000)
const ROUNDS = 3
const CALLERS = 10_000
const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 1e12, windowMs: 60_000 }]

interface Sample {
  perSecond: number
  cpuMicrosPerDecision: number
}

/** Decisions per second with CONCURRENCY callers in flight for MS, and this process's CPU per decision. */
const measure = async (store: RedisStore): Promise<Sample> => {
  let count = 0
  let next = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  const deadline = started + MS
  const worker = async () => {
    while (performance.now() < deadline) {
      for (let i = 0; i < 32; i++) await store.consume(`caller-${next++ % CALLERS}`, rules, 1)
      count += 32
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  return { perSecond: count / seconds, cpuMicrosPerDecision: (used.user + used.system) / count }
}

runSuite('limiter-cluster', 120_000, async () => {
  console.log(
    heading(
      `RedisStore decisions/s at concurrency ${CONCURRENCY}: one redis-server vs a 3-master cluster (best of ${ROUNDS} interleaved rounds)`,
    ),
  )
  const quiet = { warn() {}, info() {} }
  const [single, cluster] = await Promise.all([startRedisServer(), startRedisCluster({ masters: 3 })])
  const clients: RedisClient[] = []
  try {
    const one = createRedisConnection({ kind: 'url', url: single.url }, { logger: quiet })
    const many = createRedisConnection(
      { kind: 'cluster', nodes: cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), auth: {} },
      { logger: quiet },
    )
    clients.push(one, many)
    await Promise.all([redisReady(one), redisReady(many)])
    const targets: Record<string, RedisStore> = {
      'one redis-server': new RedisStore({ client: one, prefix: 'bench' }),
      'redis cluster, 3 masters': new RedisStore({ client: many, prefix: 'bench' }),
    }
    for (const store of Object.values(targets)) for (let i = 0; i < 2_000; i++) await store.consume(`warm-${i}`, rules, 1)
    const best: Record<string, Sample> = {}
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, store] of Object.entries(targets)) {
        const sample = await measure(store)
        if (!best[name] || sample.perSecond > best[name].perSecond) best[name] = sample
      }
    }
    const base = best['one redis-server']!
    const rows = Object.entries(best).map(([name, s]) => [
      name,
      `${formatFixed(s.perSecond / 1000, 1)} k/s`,
      `${formatFixed(s.perSecond / base.perSecond, 2)}×`,
      formatFixed(s.cpuMicrosPerDecision, 1),
      `${formatFixed(s.cpuMicrosPerDecision / base.cpuMicrosPerDecision, 2)}×`,
    ])
    console.log(formatTable(['store', 'decisions/s', 'vs one server', 'gateway CPU µs/decision', 'vs one server'], rows))
    const spread = [...(await cluster.keyCounts()).values()]
    console.log(`keys per master after the run: ${spread.join(', ')}`)
    await writeResults('limiter-cluster', { concurrency: CONCURRENCY, ms: MS, rounds: ROUNDS, results: best, keysPerMaster: spread })
  } finally {
    for (const client of clients) client.disconnect()
    await Promise.all([single.close(), cluster.close()])
  }
})
