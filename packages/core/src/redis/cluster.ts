// What the stores need to know about Redis Cluster: whether the client is one, scanning every master, reply errors that mean a misconfiguration.
import type { Redis } from 'ioredis'

/** The slice of a client SCAN needs; a Cluster also lists its nodes. */
export interface ScanClient {
  scan: Redis['scan']
  readonly isCluster?: boolean
  nodes?(role?: 'master' | 'slave' | 'all'): Array<Pick<Redis, 'scan'>>
}

/** True for an ioredis Cluster (or the gateway's stand-in for one). */
export const isClusterClient = (client: unknown): boolean =>
  typeof client === 'object' && client !== null && (client as { isCluster?: unknown }).isCluster === true

/**
 * SCAN MATCH `pattern` over the whole keyspace: every master of a cluster (a SCAN sent to a Cluster client reaches
 * one random node), else the one server. `onBatch` gets each non-empty batch of names.
 * @example
 * await scanEveryMaster(redis, 'tollgate:rl:{abc}:*', (keys) => redis.del(...keys))
 */
export const scanEveryMaster = async (
  client: ScanClient,
  pattern: string,
  onBatch: (keys: string[]) => Promise<unknown>,
  count = 1000,
): Promise<void> => {
  const targets: Array<Pick<Redis, 'scan'>> = isClusterClient(client) && client.nodes ? client.nodes('master') : [client]
  for (const target of targets) {
    let cursor = '0'
    do {
      const [next, found] = await target.scan(cursor, 'MATCH', pattern, 'COUNT', count)
      cursor = next
      if (found.length > 0) await onBatch(found)
    } while (cursor !== '0')
  }
}

/**
 * What a Redis reply error says about the deployment, when it says something: a single-node client talking to a
 * cluster node (MOVED, ASK, CROSSSLOT, CLUSTERDOWN) or to a read-only replica (READONLY). Undefined for other errors.
 */
export const misconfiguration = (error: unknown): string | undefined => {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  if (/^(MOVED|ASK) \d+/.test(text))
    return 'the Redis server is a Redis Cluster node: configure redis: { cluster: [nodes] } instead of a single URL'
  if (text.startsWith('CROSSSLOT'))
    return 'keys of one operation fall in different cluster slots (a client given as a single node?): configure redis: { cluster: [nodes] }'
  if (text.startsWith('CLUSTERDOWN')) return 'the Redis Cluster is down (CLUSTERDOWN): some slots have no reachable master'
  if (text.startsWith('READONLY')) return 'the Redis server is a read-only replica: point the gateway at the master (or at Sentinel)'
  return undefined
}
