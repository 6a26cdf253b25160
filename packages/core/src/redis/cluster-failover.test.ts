// Redis Cluster master failover with the defaults a user gets: 2 gateways, the master holding the load's keys killed mid-load.
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js'
import { redisAvailable } from '../testing/redis-server.js'
import { expectFailoverHandled, startFleet, type Fleet } from './failover.test-helper.js'

const LIMIT = 50

/** One command to one node. */
const ask = async <T>(port: number, run: (node: Redis) => Promise<T>): Promise<T> => {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true })
  try {
    await node.connect()
    return await run(node)
  } finally {
    node.disconnect()
  }
}

/** The running master whose keys match `pattern`. */
const masterHolding = async (cluster: RedisClusterHandle, pattern: string): Promise<number | undefined> => {
  for (const [port, role] of await cluster.roles()) {
    if (role !== 'master') continue
    const [, keys] = await ask(port, (node) => node.scan('0', 'MATCH', pattern, 'COUNT', 10_000))
    if (keys.length > 0) return port
  }
  return undefined
}

describe.skipIf(!redisAvailable())('Cluster master failover: 2 gateways, a master killed mid-load, defaults', () => {
  let cluster: RedisClusterHandle
  let fleet: Fleet

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
    fleet = await startFleet({ cluster: cluster.startupNodes }, LIMIT)
  }, 30_000)
  afterAll(async () => {
    await fleet?.close()
    await cluster?.close()
  })

  it('exact across both gateways on the cluster', async () => {
    expect(await fleet.admitted('before')).toBe(LIMIT)
  })

  it("the load's master killed: answered within the store timeout, one outage and one recovery logged, exact again after the promotion", async () => {
    const load = fleet.load('load')
    await new Promise((r) => setTimeout(r, 300))
    const victim = await masterHolding(cluster, '*load*')
    expect(victim, 'no master holds the load key').toBeDefined()
    const marks = fleet.gateways.map((g) => g.lines.length)
    const killedAt = performance.now()
    await cluster.stopNode(victim!, { abrupt: true })
    await cluster.waitUntilOk(20_000)
    await fleet.untilStore('up', 15_000)
    await new Promise((r) => setTimeout(r, 300))
    const samples = await load.stop()

    expect([...(await cluster.roles()).values()].filter((role) => role === 'master')).toHaveLength(3) // its replica took over
    expectFailoverHandled(fleet, samples, killedAt, marks)
    const before = fleet.fallbackDecisions()
    expect(await fleet.admitted('after')).toBe(LIMIT)
    expect(fleet.fallbackDecisions()).toEqual(before) // Redis decided, not the fallback
  }, 40_000)
})
