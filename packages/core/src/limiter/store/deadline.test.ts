// withStoreDeadline times the store, not the event loop: an answer that arrived while the loop was busy wins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js'
import { StoreTimeoutError, withStoreDeadline } from './deadline.js'
import { createRedisClient, redisReady } from './redis-client.js'

/** Keeps the event loop busy, as a burst of requests does: timers and socket reads both wait. */
const blockLoop = (ms: number) => {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

describe.skipIf(!redisAvailable())('withStoreDeadline', () => {
  let server: RedisServerHandle
  let client: Redis
  beforeAll(async () => {
    server = await startRedisServer()
    client = createRedisClient(server.url, { logger: { warn() {}, info() {} } })
    await redisReady(client)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.close()
  })

  it('an answer already in the socket when the deadline fires wins over the timeout', async () => {
    const answer = withStoreDeadline(client.ping(), 50, 'test store')
    // Redis answers within this second; the 50 ms timer is due long before the loop reads the socket.
    blockLoop(1_000)
    await expect(answer).resolves.toBe('PONG')
  })

  it('no answer: rejects with StoreTimeoutError naming the store and the deadline', async () => {
    const never = new Promise<never>(() => {})
    await expect(withStoreDeadline(never, 50, 'test store')).rejects.toThrow(StoreTimeoutError)
    await expect(withStoreDeadline(never, 50, 'test store')).rejects.toThrow('test store did not answer within 50 ms')
  })
})
