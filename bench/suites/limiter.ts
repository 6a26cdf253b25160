// Limiter decisions per second (memory and Redis) against rate-limiter-flexible, and the limiter's cost in a Hono app.
// Run from /work/main: pnpm exec tsx bench/suites/limiter.ts   (bounded to ~30 s; starts its own redis-server)
import { Hono } from 'hono'
import { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible'
import { rateLimit } from '../../packages/core/src/limiter/middleware.js'
import { RateLimitAlgorithm, type LimitRule } from '../../packages/core/src/limiter/types.js'
import { MemoryStore } from '../../packages/core/src/limiter/store/memory-store.js'
import { createRedisClient, redisReady } from '../../packages/core/src/limiter/store/redis-client.js'
import { RedisStore } from '../../packages/core/src/limiter/store/redis-store.js'
import { startRedisServer } from '../../packages/core/src/testing/redis-server.js'

const MEMORY_MS = 600
const REDIS_MS = 1_200
const ROUNDS = 2
const BIG = 1e12 // never exhausted: measure admitted decisions, as rate-limiter-flexible's happy path

type Op = () => Promise<unknown>

/** Decisions per second with `concurrency` callers in flight for `ms`. */
const measure = async (op: Op, concurrency: number, ms: number): Promise<number> => {
  for (let i = 0; i < 2_000; i++) await op() // warm-up
  let count = 0
  const deadline = performance.now() + ms
  const started = performance.now()
  const worker = async () => {
    while (performance.now() < deadline) {
      // Batches of 64 keep performance.now() out of the hot path.
      for (let i = 0; i < 64; i++) await op()
      count += 64
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return count / ((performance.now() - started) / 1000)
}

/** Runs targets interleaved for ROUNDS rounds; returns the best rate of each (the least disturbed by neighbours). */
const compare = async (targets: Record<string, Op>, concurrency: number, ms: number): Promise<Record<string, number>> => {
  const best: Record<string, number> = {}
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, op] of Object.entries(targets)) best[name] = Math.max(best[name] ?? 0, await measure(op, concurrency, ms))
  }
  return best
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`)
const print = (title: string, rates: Record<string, number>, baseline: string) => {
  console.log(`\n${title}`)
  const base = rates[baseline]!
  for (const [name, rate] of Object.entries(rates)) {
    console.log(`  ${name.padEnd(44)} ${fmt(rate).padStart(11)}   ${(rate / base).toFixed(2)}× ${baseline}`)
  }
}

const main = async () => {
  const began = performance.now()
  console.log(`limiter bench: Node ${process.version}, best of ${ROUNDS} interleaved rounds, one key, limit never reached`)

  // Memory
  const fixed: LimitRule[] = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: BIG, windowMs: 60_000 }]
  const sliding: LimitRule[] = [{ algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: BIG, windowMs: 60_000 }]
  const bucket: LimitRule[] = [{ algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: BIG, windowMs: 60_000 }]
  const memory = new MemoryStore()
  const rlfMemory = new RateLimiterMemory({ points: BIG, duration: 60 })
  const memoryTargets: Record<string, Op> = {
    'rate-limiter-flexible RateLimiterMemory': () => rlfMemory.consume('k', 1),
    'tollgate MemoryStore fixed window': () => memory.consume('k', fixed, 1),
    'tollgate MemoryStore sliding window': () => memory.consume('k', sliding, 1),
    'tollgate MemoryStore token bucket': () => memory.consume('k', bucket, 1),
  }
  for (const concurrency of [1, 256]) {
    print(
      `memory, concurrency ${concurrency}`,
      await compare(memoryTargets, concurrency, MEMORY_MS),
      'rate-limiter-flexible RateLimiterMemory',
    )
  }

  // Redis
  const server = await startRedisServer()
  const clients: Redis[] = []
  try {
    const ours = createRedisClient(server.url)
    const theirs = new Redis(server.url)
    clients.push(ours, theirs)
    await redisReady(ours)
    await redisReady(theirs)
    const redisStore = new RedisStore({ client: ours, prefix: 'bench' })
    await redisStore.load()
    const rlfRedis = new RateLimiterRedis({ storeClient: theirs, points: BIG, duration: 60, keyPrefix: 'rlf' })
    await theirs.set('plain', '1')
    const redisTargets: Record<string, Op> = {
      'rate-limiter-flexible RateLimiterRedis': () => rlfRedis.consume('k', 1),
      'tollgate RedisStore sliding window': () => redisStore.consume('k', sliding, 1),
      'tollgate RedisStore token bucket': () => redisStore.consume('k', bucket, 1),
      'plain ioredis GET (one round trip, reference)': () => theirs.get('plain'),
    }
    for (const concurrency of [1, 256]) {
      const rates = await compare(redisTargets, concurrency, REDIS_MS)
      print(`redis, concurrency ${concurrency}`, rates, 'rate-limiter-flexible RateLimiterRedis')
      if (concurrency !== 256) continue
      // Issue 12's aim: one round trip per decision, auto-pipelined, at least 0.8x what a bare GET achieves.
      const share = rates['tollgate RedisStore sliding window']! / rates['plain ioredis GET (one round trip, reference)']!
      console.log(
        `  tollgate RedisStore sliding window / plain ioredis GET: ${share.toFixed(2)}x (aim >= 0.80: ${share >= 0.8 ? 'met' : 'NOT met'})`,
      )
    }
  } finally {
    for (const client of clients) client.disconnect()
    await server.close()
  }

  // The limiter in a Hono app (app.fetch, no sockets): what it adds per request.
  const plain = new Hono().get('/', (c) => c.text('ok'))
  const limited = new Hono()
  limited.use(rateLimit({ requestsPerSecond: 1e9, algorithm: 'token_bucket', keyBy: 'x-client', store: new MemoryStore() }))
  limited.get('/', (c) => c.text('ok'))
  const request = () => new Request('http://gw/', { headers: { 'x-client': 'c1' } })
  const hono = await compare(
    { 'hono app, no limiter': async () => plain.fetch(request()), 'hono app + rateLimit() memory': async () => limited.fetch(request()) },
    1,
    MEMORY_MS,
  )
  print('hono app.fetch, concurrency 1', hono, 'hono app, no limiter')
  const added = 1e6 / hono['hono app + rateLimit() memory']! - 1e6 / hono['hono app, no limiter']!
  console.log(`  rateLimit() adds ${added.toFixed(2)} µs per request in-process`)
  console.log(`\ndone in ${((performance.now() - began) / 1000).toFixed(1)} s`)
}

await main()
