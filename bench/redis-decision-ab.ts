// A/B of one Redis rate-limit decision's cost at concurrency 256: raw GET, raw EVALSHA, RedisStore, GuardedStore(RedisStore),
// rate-limiter-flexible's RateLimiterRedis,
// each with and without ioredis auto-pipelining, interleaved rounds, CPU µs per decision of this process.
// Run: pnpm exec tsx bench/redis-decision-ab.ts   (starts its own redis-server; ~1 min)
import type { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { RateLimitAlgorithm, type LimitRule } from '../packages/core/src/limiter/types.js'
import { GuardedStore } from '../packages/core/src/limiter/store/guarded-store.js'
import { createRedisClient, redisReady } from '../packages/core/src/limiter/store/redis-client.js'
import { CONSUME_SCRIPT_SHA, RedisStore } from '../packages/core/src/limiter/store/redis-store.js'
import { startRedisServer } from '../packages/core/src/testing/redis-server.js'

const ROUNDS = Number(process.env.AB_ROUNDS ?? 5)
const MS = Number(process.env.AB_MS ?? 1_000)
const CONCURRENCY = Number(process.env.AB_CONCURRENCY ?? 256)
const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 1e12, windowMs: 60_000 }]

type Op = () => Promise<unknown>
type Sample = { rate: number; cpuUs: number; serverUs: number }
let info: Redis
/** redis-server's own CPU seconds (user + sys) so far, from INFO cpu. */
const serverCpu = async (): Promise<number> => {
  const text = await info.info('cpu')
  const read = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0)
  return read('used_cpu_user') + read('used_cpu_sys')
}
const measure = async (op: Op): Promise<Sample> => {
  let count = 0
  const server0 = await serverCpu()
  const started = performance.now()
  const deadline = started + MS
  const cpu = process.cpuUsage()
  const worker = async () => {
    while (performance.now() < deadline) {
      for (let i = 0; i < 32; i++) await op()
      count += 32
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const used = process.cpuUsage(cpu)
  const seconds = (performance.now() - started) / 1000
  const serverUs = ((await serverCpu()) - server0) * 1e6
  return { rate: count / seconds, cpuUs: (used.user + used.system) / count, serverUs: serverUs / count }
}

const server = await startRedisServer()
const plainClient = createRedisClient(server.url)
const autoClient = createRedisClient(server.url, { enableAutoPipelining: true })
try {
  await redisReady(plainClient)
  await redisReady(autoClient)
  info = plainClient
  await plainClient.set('plain', '1')
  const targets: Record<string, Op> = {}
  for (const [name, client] of [
    ['', plainClient],
    [' autopipe', autoClient],
  ] as const) {
    const store = new RedisStore({ client, prefix: `b${name.trim()}` })
    await store.load()
    const guarded = new GuardedStore(new RedisStore({ client, prefix: `g${name.trim()}` }), { connection: client })
    targets[`GET${name}`] = () => client.get('plain')
    targets[`EVALSHA${name}`] = () => client.evalsha(CONSUME_SCRIPT_SHA, 1, `e${name}:k`, 's', 1e12, 60_000, 1e12, 1)
    targets[`RedisStore${name}`] = () => store.consume('k', rules, 1)
    targets[`GuardedStore${name}`] = () => guarded.consume('k', rules, 1)
    const rlf = new RateLimiterRedis({ storeClient: client, points: 1e12, duration: 60, keyPrefix: `rlf${name.trim()}` })
    targets[`RateLimiterRedis${name}`] = () => rlf.consume('k', 1)
  }
  const only = process.env.AB_TARGETS?.split(',')
  const names = Object.keys(targets).filter((n) => !only || only.includes(n))
  for (const n of names) for (let i = 0; i < 500; i++) await targets[n]!()
  const samples: Record<string, Sample[]> = {}
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!)
    for (const n of order) (samples[n] ??= []).push(await measure(targets[n]!))
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const base = median(samples.GET?.map((s) => s.rate) ?? [1])
  console.log(`concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds x ${MS} ms, medians`)
  for (const n of names) {
    const rate = median(samples[n]!.map((s) => s.rate))
    const cpu = median(samples[n]!.map((s) => s.cpuUs))
    const server = median(samples[n]!.map((s) => s.serverUs))
    console.log(
      `${n.padEnd(24)} ${(rate / 1e3).toFixed(1).padStart(7)} k/s  ${(rate / base).toFixed(2)}x GET  client ${cpu.toFixed(2).padStart(6)} CPU µs/decision  redis-server ${server.toFixed(2).padStart(6)} µs`,
    )
  }
} finally {
  plainClient.disconnect()
  autoClient.disconnect()
  await server.close()
}
