// Redis Cluster master failover with the defaults a user gets: 2 gateways, the master holding the load's keys killed mid-load.
import { Redis } from 'ioredis'
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js'
import { redisAvailable } from '../testing/redis-server.js'
import { describeFailover } from './failover.test-helper.js'

/** The running master holding keys that match `pattern` (SCAN on each master). */
const masterHolding = async (cluster: RedisClusterHandle, pattern: string): Promise<number> => {
  for (const [port, role] of await cluster.roles()) {
    if (role !== 'master') continue
    const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true })
    try {
      await node.connect()
      const [, keys] = await node.scan('0', 'MATCH', pattern, 'COUNT', 10_000)
      if (keys.length > 0) return port
    } finally {
      node.disconnect()
    }
  }
  throw new Error(`no master holds a key matching ${pattern}`)
}

describeFailover(
  'Cluster master failover (3 masters, a replica each): 2 gateways, defaults',
  async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
    return {
      redis: { cluster: cluster.startupNodes },
      async failover(run) {
        await cluster.stopNode(await masterHolding(cluster, `*${run}*`), { abrupt: true })
        await cluster.waitUntilOk(20_000) // every slot served again: the replica was promoted
        const masters = [...(await cluster.roles()).values()].filter((role) => role === 'master')
        if (masters.length !== 3) throw new Error(`${masters.length} masters after the failover, expected 3`)
      },
      everyGatewayLogs: false,
      close: () => cluster.close(),
    }
  },
  { skip: !redisAvailable() },
)
