import { describe, expect, it } from 'vitest'
import { APIGateway } from '../../gateway.js'
import { redisAvailable, startRedisServer } from '../../testing/redis-server.js'
import { lazyRedis } from './lazy-redis.js'

const silent = { debug() {}, info() {}, warn() {}, error() {} }

describe('lazyRedis', () => {
  it('stands in for the client until connect(): status connecting, commands fail, not a thenable', async () => {
    const redis = lazyRedis('redis://127.0.0.1:1', silent)
    expect(redis.client.status).toBe('connecting')
    expect(redis.loaded).toBeUndefined()
    await expect(redis.client.get('k')).rejects.toThrow(/ioredis is still loading/)
    expect(await Promise.resolve(redis.client)).toBe(redis.client)
  })

  it('a gateway with redisUrl stops cleanly before its client has loaded or connected', async () => {
    const gateway = new APIGateway({ redisUrl: 'redis://127.0.0.1:1', logger: silent })
    expect(gateway.redis?.status).toBe('connecting')
    await gateway.stop()
  })

  it.skipIf(!redisAvailable())('forwards to the real client once connected', async () => {
    const server = await startRedisServer()
    const redis = lazyRedis(server.url, silent)
    try {
      const real = await redis.connect()
      await redis.ready(2_000)
      expect(redis.loaded).toBe(real)
      expect(await redis.client.ping()).toBe('PONG')
      expect(redis.client.status).toBe('ready')
      expect(await redis.connect()).toBe(real)
    } finally {
      await redis.loaded?.quit()
      await server.stop()
    }
  })
})
