// A Vitest fixture: one redis-server and one connected ioredis client per describe block (tests only).
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { startRedisServer, type RedisServerHandle } from './redis-server.js'

export interface RedisFixture {
  readonly server: RedisServerHandle
  readonly redis: Redis
}

/** Starts redis-server and connects a client before the block's tests; quits and stops both after them. */
export const useRedis = (): RedisFixture => {
  const fixture = {} as { server: RedisServerHandle; redis: Redis }
  beforeAll(async () => {
    fixture.server = await startRedisServer()
    fixture.redis = new Redis(fixture.server.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await fixture.redis.connect()
  })
  afterAll(async () => {
    await fixture.redis?.quit()
    await fixture.server?.close()
  })
  return fixture
}
