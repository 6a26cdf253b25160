import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RateLimitAlgorithm, type LimitDecision, type LimitRule } from '../types.js'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js'
import { DEFAULT_STORE_TIMEOUT_MS } from './deadline.js'
import { GuardedStore } from './guarded-store.js'
import { createRedisClient, redisReady } from './redis-client.js'
import { RedisStore } from './redis-store.js'

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const SLACK_MS = 1_000 // a loaded 2-core machine delays timers; still far below a stalled call

describe.skipIf(!redisAvailable())('Redis outage', () => {
  let server: RedisServerHandle
  let client: Redis
  const lines: string[] = []
  const logger = { warn: (m: string) => void lines.push(`warn ${m}`), info: (m: string) => void lines.push(`info ${m}`) }

  beforeAll(async () => {
    server = await startRedisServer()
    client = createRedisClient(server.url, { logger, maxReconnectDelayMs: 100 })
    await redisReady(client)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.close()
  })

  it('Redis stopped mid-load: no decision waits past the timeout, fallback applies, exact again after restart', async () => {
    const guarded = new GuardedStore(new RedisStore({ client, prefix: `outage${process.pid}` }), {
      connection: client,
      probe: () => client.ping(),
      logger,
    })
    const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.TOKEN_BUCKET, limit: 1_000, windowMs: 1_000 }]
    const seen: { ms: number; decision: LimitDecision }[] = []
    let running = true
    const worker = async (id: number) => {
      while (running) {
        const started = performance.now()
        const decision = await guarded.consume(`load-${id}`, rules, 1)
        seen.push({ ms: performance.now() - started, decision })
        await sleep(2)
      }
    }
    const workers = [0, 1, 2, 3].map(worker)
    await sleep(200)
    await server.stop({ abrupt: true })
    await sleep(500)
    expect(guarded.health().status).toBe('down')
    await server.restart()
    await redisReady(client, 5_000)
    for (let i = 0; i < 100 && guarded.health().status === 'down'; i++) await sleep(20)
    await sleep(100)
    running = false
    await Promise.all(workers)

    expect(guarded.health().status).toBe('up')
    const slowest = Math.max(...seen.map((s) => s.ms))
    expect(slowest).toBeLessThan(DEFAULT_STORE_TIMEOUT_MS + SLACK_MS)
    expect(seen.some((s) => s.decision.degraded === 'fallback')).toBe(true)
    expect(seen.every((s) => s.decision.allowed)).toBe(true) // a store failure is never a rejection
    expect(seen.at(-1)!.decision.degraded).toBeUndefined()
    // One outage: one line when the connection is lost, one when the ready probe succeeds.
    expect(lines.filter((l) => l.includes('rate limit store unavailable'))).toEqual([expect.stringContaining('(connection lost)')])
    expect(lines.filter((l) => l.includes('rate limit store available again'))).toHaveLength(1)
    expect(lines.filter((l) => l.startsWith('warn redis '))).toHaveLength(1) // the client's own line, once

    // Exact again: 30 concurrent against 10.
    const strict: LimitRule[] = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 10, windowMs: 3_600_000 }]
    const after = await Promise.all(Array.from({ length: 30 }, () => guarded.consume('after', strict, 1)))
    expect(after.filter((d) => d.allowed)).toHaveLength(10)
    expect(after.every((d) => d.degraded === undefined)).toBe(true)
  })

  it('a paused (slow) Redis: a late answer goes to the fallback without tripping the store; sustained ones trip it', async () => {
    const guarded = new GuardedStore(new RedisStore({ client, prefix: `paused${process.pid}` }), {
      connection: client,
      probeIntervalMs: 50,
      logger,
    })
    const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 100, windowMs: 60_000 }]
    expect((await guarded.consume('p', rules, 1)).degraded).toBeUndefined()
    await client.call('CLIENT', 'PAUSE', '1500', 'ALL')
    const started = performance.now()
    const decision = await guarded.consume('p', rules, 1)
    expect(performance.now() - started).toBeLessThan(DEFAULT_STORE_TIMEOUT_MS + SLACK_MS)
    expect(decision).toMatchObject({ allowed: true, degraded: 'fallback' })
    expect(guarded.health().status).toBe('up') // one slow answer is not an outage
    const burst = await Promise.all(Array.from({ length: 10 }, () => guarded.consume('p', rules, 1)))
    expect(burst.every((d) => d.degraded === 'fallback')).toBe(true)
    expect(guarded.health().status).toBe('down')
    await sleep(1_600)
    for (let i = 0; i < 50 && guarded.health().status === 'down'; i++) {
      await guarded.consume('p', rules, 1)
      await sleep(20)
    }
    expect(guarded.health().status).toBe('up')
  })
})

describe.skipIf(!redisAvailable())('createRedisClient', () => {
  it('fails fast while disconnected (no offline queue), logs the outage and the recovery once each', async () => {
    const server = await startRedisServer()
    const lines: string[] = []
    const logger = { warn: (m: string) => void lines.push(`warn ${m}`), info: (m: string) => void lines.push(`info ${m}`) }
    const client = createRedisClient(server.url, { logger, maxReconnectDelayMs: 100 })
    try {
      await redisReady(client)
      expect(client.options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false })
      await server.stop({ abrupt: true })
      await sleep(300) // several reconnect attempts, each failing
      const started = performance.now()
      await expect(client.get('x')).rejects.toThrow(/enableOfflineQueue/)
      expect(performance.now() - started).toBeLessThan(50)
      await server.restart()
      await redisReady(client, 5_000)
      expect(await client.set('x', '1')).toBe('OK')
      expect(lines).toEqual([expect.stringMatching(/^warn .*connection lost/), expect.stringMatching(/^info .*available again/)])
    } finally {
      client.disconnect()
      await server.close()
    }
    expect(lines).toHaveLength(2) // a deliberate disconnect is not an outage
  })
})
