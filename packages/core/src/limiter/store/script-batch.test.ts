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

/** Counts the socket writes of `client` (net.Socket's _write for one chunk, _writev for several). */
const countWrites = (client: Redis) => {
  const stream = client.stream as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>
  const writes = { single: 0, vectored: 0 }
  const write = stream._write
  const writev = stream._writev
  stream._write = (...args) => (writes.single++, write.apply(stream, args))
  stream._writev = (...args) => (writes.vectored++, writev.apply(stream, args))
  return { writes, restore: () => Object.assign(stream, { _write: write, _writev: writev }) }
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

  it('decisions made in one turn leave in one socket write, each answered in call order', async () => {
    const store = new RedisStore({ client, prefix: `batch${++prefixes}` })
    await store.load() // else every call of the batch gets NOSCRIPT and falls back to its own EVAL
    const { writes, restore } = countWrites(client)
    try {
      const pending = [
        ...Array.from({ length: 5 }, () => store.consume('shared', rules(3), 1)),
        ...Array.from({ length: 20 }, (_, i) => store.consume(`caller-${i}`, rules(10), 2)),
      ]
      expect(client.stream.writableCorked).toBe(1)
      const decisions = await Promise.all(pending)
      expect(writes).toEqual({ single: 0, vectored: 1 })
      expect(client.stream.writableCorked).toBe(0)
      expect(decisions.slice(0, 5).map((d) => d.allowed)).toEqual([true, true, true, false, false])
      expect(decisions.slice(0, 3).map((d) => d.remaining)).toEqual([2, 1, 0])
      expect(decisions.slice(5).every((d) => d.allowed && d.remaining === 8)).toBe(true)
    } finally {
      restore()
    }
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
