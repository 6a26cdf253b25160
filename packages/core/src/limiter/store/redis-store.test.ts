import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RateLimitAlgorithm, type LimitRule } from '../types.js'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js'
import { CONSUME_SCRIPT } from './consume-script.js'
import { describeStore } from './describe-store.js'
import { createRedisClient, redisReady } from './redis-client.js'
import { CONSUME_SCRIPT_SHA, RedisStore } from './redis-store.js'

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const quiet = { warn: () => {}, info: () => {} }
let server: RedisServerHandle
let prefixes = 0
const uniquePrefix = () => `t${process.pid}x${++prefixes}`

const connect = async (): Promise<Redis> => {
  const client = createRedisClient(server.url, { logger: quiet })
  await redisReady(client)
  return client
}

describe.skipIf(!redisAvailable())('RedisStore', () => {
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.close()
  })

  describeStore('RedisStore', async () => {
    const client = await connect()
    const store = new RedisStore({ client, prefix: uniquePrefix() })
    return {
      store,
      exact: false,
      windowMs: 1_000,
      advance: (ms) => sleep(ms),
      align: (w) => sleep(w - (Date.now() % w) + 5),
      close: async () => {
        await store.close()
        await client.quit()
      },
    }
  })

  describe('Redis specifics', () => {
    let client: Redis
    beforeAll(async () => {
      client = await connect()
    })
    afterAll(async () => {
      await client.quit()
    })

    it('the precomputed SHA is the one SCRIPT LOAD returns', async () => {
      expect(await client.script('LOAD', CONSUME_SCRIPT)).toBe(CONSUME_SCRIPT_SHA)
      expect(await new RedisStore({ client }).load()).toBe(CONSUME_SCRIPT_SHA)
    })

    it('reloads the script transparently after SCRIPT FLUSH (NOSCRIPT)', async () => {
      const store = new RedisStore({ client, prefix: uniquePrefix() })
      const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 5, windowMs: 60_000 }]
      expect((await store.consume('k', rules, 1)).remaining).toBe(4)
      await client.script('FLUSH')
      expect(await client.script('EXISTS', CONSUME_SCRIPT_SHA)).toEqual([0])
      expect(await store.consume('k', rules, 1)).toMatchObject({ allowed: true, remaining: 3 })
      expect(await client.script('EXISTS', CONSUME_SCRIPT_SHA)).toEqual([1])
    })

    it('one decision over two keys is one EVALSHA round trip', async () => {
      let calls = 0
      const counting = new Proxy(client, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver) as unknown
          if (typeof value !== 'function') return value
          return (...args: unknown[]) => {
            calls++
            return (value as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      })
      const store = new RedisStore({ client: counting, prefix: uniquePrefix() })
      const rules: LimitRule[] = [
        { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 5, windowMs: 60_000 },
        { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 5, windowMs: 60_000 },
      ]
      await store.load()
      calls = 0
      await store.consumeMany([
        { key: 'caller', scope: 'route:a', rules, cost: 1 },
        { key: 'caller', rules, cost: 1 },
      ])
      expect(calls).toBe(1)
    })

    it('writes hash-tagged keys with their TTL in the same step', async () => {
      const prefix = uniquePrefix()
      const store = new RedisStore({ client, prefix })
      const rules: LimitRule[] = [
        { algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 5, windowMs: 60_000 },
        { algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 5, windowMs: 10_000 },
        { algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 10, windowMs: 10_000 },
      ]
      await store.consumeMany([{ key: 'user-1', scope: 'route:x', rules, cost: 2 }])
      expect(store.keyFor('user-1', 0)).toBe(`${prefix}:rl:{user-1}:0`)
      const keys = (await client.keys(`${prefix}:*`)).sort()
      expect(keys).toEqual([0, 1, 2].map((i) => `${prefix}:rl:{user-1}:route:x:${i}`))
      const [fixed, sliding, bucket] = await Promise.all(keys.map((k) => client.pttl(k)))
      expect(fixed).toBeGreaterThan(0)
      expect(fixed).toBeLessThanOrEqual(60_000)
      expect(sliding).toBeGreaterThan(10_000 - 100)
      expect(sliding).toBeLessThanOrEqual(20_000)
      expect(bucket).toBeGreaterThan(1_500) // 2 tokens at 1 per second → full in ~2 s
      expect(bucket).toBeLessThanOrEqual(2_000)
      // A rejected decision writes nothing.
      await client.del(...keys)
      const strict: LimitRule[] = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 1, windowMs: 60_000 }]
      expect((await store.consume('user-2', strict, 2)).allowed).toBe(false)
      expect(await client.exists(store.keyFor('user-2', 0))).toBe(0)
    })
  })

  describe('accuracy across instances', () => {
    let clients: Redis[]
    beforeAll(async () => {
      clients = await Promise.all([connect(), connect(), connect()])
    })
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.quit()))
    })

    const cases = [
      [RateLimitAlgorithm.FIXED_WINDOW, 100],
      [RateLimitAlgorithm.TOKEN_BUCKET, 100],
      // Documented: within one sub-window, with an empty previous one, the weighted counter is exact.
      [RateLimitAlgorithm.SLIDING_WINDOW, 100],
    ] as const
    for (const [algorithm, expected] of cases) {
      it(`${algorithm}: 300 concurrent decisions from three instances against 100 admit ${expected}`, async () => {
        const prefix = uniquePrefix()
        const stores = clients.map((client) => new RedisStore({ client, prefix }))
        const rules: LimitRule[] = [{ algorithm, limit: 100, windowMs: 3_600_000 }]
        const decisions = await Promise.all(Array.from({ length: 300 }, (_, i) => stores[i % 3]!.consume('one-caller', rules, 1)))
        expect(decisions.filter((d) => d.allowed)).toHaveLength(expected)
        expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.retryAfterMs > 0)).toBe(true)
      })
    }
  })
})
