// Sentinel failover with the defaults a user gets: 2 gateways on `redis: { sentinels, name }`, the master killed mid-load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisAvailable } from '../testing/redis-server.js'
import { startRedisSentinel, type RedisSentinelHandle } from '../testing/redis-sentinel.js'
import { expectFailoverHandled, startFleet, type Fleet } from './failover.test-helper.js'

const LIMIT = 50

describe.skipIf(!redisAvailable() || !redisAvailable('redis-sentinel'))(
  'Sentinel failover: 2 gateways, master killed mid-load, defaults',
  () => {
    let setup: RedisSentinelHandle
    let fleet: Fleet

    beforeAll(async () => {
      setup = await startRedisSentinel({ replicas: 1, sentinels: 3 })
      fleet = await startFleet({ sentinels: [...setup.sentinels], name: setup.name }, LIMIT)
    }, 30_000)
    afterAll(async () => {
      await fleet?.close()
      await setup?.close()
    })

    it('exact across both gateways through the sentinels', async () => {
      expect(await fleet.admitted('before')).toBe(LIMIT)
    })

    it('master killed: every request answered within the store timeout, one outage and one recovery logged, exact again after', async () => {
      const load = fleet.load('load')
      await new Promise((r) => setTimeout(r, 300))
      const marks = fleet.gateways.map((g) => g.lines.length)
      const killedAt = performance.now()
      const old = await setup.killMaster()
      const promoted = await setup.waitForFailover(old)
      await fleet.untilStore('up', 15_000)
      await new Promise((r) => setTimeout(r, 300))
      const samples = await load.stop()

      expect(promoted.port).not.toBe(old.port)
      expectFailoverHandled(fleet, samples, killedAt, marks)
      const before = fleet.fallbackDecisions()
      expect(await fleet.admitted('after')).toBe(LIMIT)
      expect(fleet.fallbackDecisions()).toEqual(before) // Redis decided, not the fallback
    }, 40_000)
  },
)
