// RedisStore's decisions of one loop turn go to Redis as one pipeline, each with its own answer, in call order.
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js'
import { RateLimitAlgorithm, type LimitRule } from '../types.js'
import { createRedisClient, redisReady } from './redis-client.js'
import { RedisStore } from './redis-store.js'
import { StoreError } from './store-error.js'

const quiet = { warn: () => {}, info: () => {} }
const rules = (limit: number): LimitRule[] => [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit, windowMs: 60_000 }]

/** The client, counting the pipelines and the single EVALSHA calls sent through it. */
const counted = (client: Redis) => {
  const sent = { pipelines: 0, evalsha: 0 }
  const proxy = new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (property === 'pipeline') sent.pipelines++
        if (property === 'evalsha') sent.evalsha++
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { client: proxy, sent }
}

describe.skipIf(!redisAvailable())('RedisStore batching', () => {
  let server: RedisServerHandle
  let client: Redis
  let prefixes = 0
  beforeAll(async () => {
    server = await startRedisServer()
    client = createRedisClient(server.url, { logger: quiet })
    await redisReady(client)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.close()
  })

  it('decisions made in one turn go out as one pipeline, each answered in call order', async () => {
    const { client: spy, sent } = counted(client)
    const store = new RedisStore({ client: spy, prefix: `batch${++prefixes}` })
    const decisions = await Promise.all([
      ...Array.from({ length: 5 }, () => store.consume('shared', rules(3), 1)),
      ...Array.from({ length: 20 }, (_, i) => store.consume(`caller-${i}`, rules(10), 2)),
    ])
    expect(sent).toEqual({ pipelines: 1, evalsha: 0 })
    expect(decisions.slice(0, 5).map((d) => d.allowed)).toEqual([true, true, true, false, false])
    expect(decisions.slice(0, 3).map((d) => d.remaining)).toEqual([2, 1, 0])
    expect(decisions.slice(5).every((d) => d.allowed && d.remaining === 8)).toBe(true)
    // A lone decision is a plain EVALSHA.
    expect((await store.consume('alone', rules(1), 1)).allowed).toBe(true)
    expect(sent).toEqual({ pipelines: 1, evalsha: 1 })
  })

  it('after SCRIPT FLUSH every decision of a batch still answers (EVAL reloads the script)', async () => {
    const store = new RedisStore({ client, prefix: `batch${++prefixes}` })
    await client.script('FLUSH')
    const decisions = await Promise.all(Array.from({ length: 8 }, () => store.consume('k', rules(5), 1)))
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false])
  })

  it('a batch on a closed connection rejects every decision with a StoreError', async () => {
    const closed = createRedisClient(server.url, { logger: quiet })
    await redisReady(closed)
    const store = new RedisStore({ client: closed, prefix: `batch${++prefixes}` })
    closed.disconnect()
    const settled = await Promise.allSettled(Array.from({ length: 4 }, () => store.consume('k', rules(5), 1)))
    for (const result of settled) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreError)
    }
  })
})
