import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisCluster, type RedisClusterHandle } from './redis-cluster.js'
import { redisAvailable } from './redis-server.js'

describe.skipIf(!redisAvailable())('startRedisCluster', () => {
  let cluster: RedisClusterHandle
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
  }, 30_000)
  afterAll(() => cluster?.close())

  it('starts 3 masters with a replica each, every slot served, keys spread over the masters', async () => {
    const roles = [...(await cluster.roles()).values()]
    expect(roles.filter((role) => role === 'master')).toHaveLength(3)
    expect(roles.filter((role) => role === 'replica')).toHaveLength(3)
    const client = new Cluster(cluster.startupNodes.slice(0, 1))
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => client.set(`k${i}`, '1')))
      const counts = [...(await cluster.keyCounts()).values()]
      expect(counts).toHaveLength(3)
      expect(counts.reduce((a, b) => a + b, 0)).toBe(300)
      for (const count of counts) expect(count).toBeGreaterThan(50)
    } finally {
      client.disconnect()
    }
  })

  it('a killed master is replaced by its replica, and the cluster is ok again', async () => {
    const master = cluster.nodes.find((node) => node.startedAs === 'master')!
    await cluster.stopNode(master.port, { abrupt: true })
    await cluster.waitUntilOk(20_000)
    const roles = await cluster.roles()
    expect(roles.has(master.port)).toBe(false)
    expect([...roles.values()].filter((role) => role === 'master')).toHaveLength(3)
    await cluster.restartNode(master.port)
    await cluster.waitUntilOk(20_000)
  }, 40_000)
})
