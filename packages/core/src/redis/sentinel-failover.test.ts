// Sentinel failover with the defaults a user gets: 2 gateways on `redis: { sentinels, name }`, the master killed mid-load.
import { redisAvailable } from '../testing/redis-server.js'
import { startRedisSentinel } from '../testing/redis-sentinel.js'
import { describeFailover } from './failover.test-helper.js'

describeFailover(
  'Sentinel failover (1 master, 1 replica, 3 sentinels): 2 gateways, defaults',
  async () => {
    const setup = await startRedisSentinel({ replicas: 1, sentinels: 3 })
    return {
      redis: { sentinels: [...setup.sentinels], name: setup.name },
      async failover() {
        const old = await setup.killMaster()
        const promoted = await setup.waitForFailover(old)
        if (promoted.port === old.port) throw new Error('the sentinels still name the killed master')
      },
      everyGatewayLogs: true,
      close: () => setup.close(),
    }
  },
  { skip: !redisAvailable() || !redisAvailable('redis-sentinel') },
)
