// Starts a throwaway Redis Cluster (real redis-server processes on free loopback ports) for tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { waitForPort } from './redis-server.js'

export interface RedisClusterOptions {
  /** Masters, each owning an equal share of the 16 384 slots. Default 3. */
  masters?: number
  /** Replicas per master (for failover tests). Default 0. */
  replicasPerMaster?: 0 | 1
  /** `cluster-node-timeout`: how long a silent master is given before its replica takes over, in ms. Default 1 000. */
  nodeTimeoutMs?: number
}

export interface RedisClusterNode {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** The role it was started with (a failover swaps them: ask `roles()`). */
  readonly startedAs: 'master' | 'replica'
  /** Whether its process is running. */
  readonly running: boolean
}

export interface RedisClusterHandle {
  readonly nodes: readonly RedisClusterNode[]
  /** `127.0.0.1:<port>` of every node, as the `redis: { cluster }` option takes them. */
  readonly startupNodes: string[]
  /** Stops one node (SIGKILL when `abrupt`, as a crash would); its port stays reserved for restartNode(). */
  stopNode(port: number, options?: { abrupt?: boolean }): Promise<void>
  /** Starts a stopped node again with its cluster config (it rejoins; a failed-over master comes back as a replica). */
  restartNode(port: number): Promise<void>
  /** Current role of every running node, by port. */
  roles(): Promise<Map<number, 'master' | 'replica'>>
  /** Keys held by each running master (DBSIZE), by port. */
  keyCounts(): Promise<Map<number, number>>
  /** Resolves once every running node reports `cluster_state:ok` and every slot has a reachable master. */
  waitUntilOk(timeoutMs?: number): Promise<void>
  /** Stops every node and removes the working folders. */
  close(): Promise<void>
}

const SLOTS = 16_384

const listenOn = (port: number): Promise<Server | undefined> =>
  new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => resolve(server))
  })

const portOf = (server: Server): number => {
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

/**
 * `count` ports p, each with its cluster bus port p + 10 000 free too. Every candidate and its bus port are held
 * open until all are chosen, so no two nodes get the same pair.
 */
const clusterPorts = async (count: number): Promise<number[]> => {
  const held: Server[] = []
  const chosen: number[] = []
  try {
    for (let attempt = 0; chosen.length < count; attempt++) {
      if (attempt > count * 50) throw new Error('startRedisCluster: no free port pairs (port and port + 10000)')
      const server = await listenOn(0)
      if (!server) continue
      held.push(server)
      const port = portOf(server)
      if (port + 10_000 > 65_535) continue
      const bus = await listenOn(port + 10_000)
      if (!bus) continue
      held.push(bus)
      chosen.push(port)
    }
    return chosen
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const until = async (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`startRedisCluster: ${what} within ${timeoutMs} ms`)
    await sleep(50)
  }
}

const info = (text: string, field: string): string | undefined => new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim()

/**
 * Starts `masters` redis-server processes with `--cluster-enabled yes` (plus `replicasPerMaster` replicas each) on
 * free loopback ports, assigns the slots evenly (CLUSTER ADDSLOTS), joins them (CLUSTER MEET, CLUSTER REPLICATE)
 * and waits for `cluster_state:ok`. Close it at the end; every process is killed and its folder removed.
 * @example
 * const cluster = await startRedisCluster({ masters: 3 })
 * const gateway = new APIGateway({ redis: { cluster: cluster.startupNodes } })
 * afterAll(() => cluster.close())
 */
export const startRedisCluster = async (options: RedisClusterOptions = {}): Promise<RedisClusterHandle> => {
  const masters = options.masters ?? 3
  const replicas = options.replicasPerMaster ?? 0
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1_000
  if (!Number.isInteger(masters) || masters < 1) throw new TypeError('startRedisCluster: masters must be a positive integer')
  const { Redis } = await import('ioredis')
  const ports = await clusterPorts(masters * (1 + replicas))
  const root = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'))
  const children = new Map<number, ChildProcess>()
  const admin = new Map<number, Redis>()

  const launch = async (port: number) => {
    const dir = join(root, String(port))
    mkdirSync(dir, { recursive: true })
    // biome-ignore format: one flag per pair
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--dir', dir,
      '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
    ]
    children.set(port, spawn('redis-server', args, { stdio: 'ignore' }))
    await waitForPort(port, 5_000)
  }
  const client = (port: number): Redis => {
    let known = admin.get(port)
    if (!known || known.status === 'end') {
      known = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: false,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        retryStrategy: () => 100,
      })
      known.on('error', () => {})
      admin.set(port, known)
    }
    return known
  }
  const running = (port: number) => {
    const child = children.get(port)
    return child !== undefined && child.exitCode === null && child.signalCode === null
  }
  const stopNode = async (port: number, stop: { abrupt?: boolean } = {}) => {
    const child = children.get(port)
    children.delete(port)
    admin.get(port)?.disconnect()
    admin.delete(port)
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill(stop.abrupt ? 'SIGKILL' : 'SIGTERM')
    })
  }
  const close = async () => {
    await Promise.all(ports.map((port) => stopNode(port, { abrupt: true })))
    rmSync(root, { recursive: true, force: true })
  }
  const waitUntilOk = async (timeoutMs = 20_000) => {
    const live = ports.filter(running)
    await until('cluster_state:ok on every node', timeoutMs, async () => {
      for (const port of live) {
        if (info(String(await client(port).call('CLUSTER', 'INFO')), 'cluster_state') !== 'ok') return false
        const slots = (await client(port).call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][]
        let covered = 0
        for (const [start, end, master] of slots) if (running(Number(master[1]))) covered += end - start + 1
        if (covered !== SLOTS) return false
      }
      return true
    })
  }

  try {
    await Promise.all(ports.map(launch))
    const masterPorts = ports.slice(0, masters)
    // Slots in equal contiguous ranges, as `redis-cli --cluster create` assigns them.
    await Promise.all(
      masterPorts.map((port, i) => {
        const from = Math.floor((i * SLOTS) / masters)
        const to = Math.floor(((i + 1) * SLOTS) / masters) - 1
        const slots = Array.from({ length: to - from + 1 }, (_, k) => from + k)
        return client(port).call('CLUSTER', 'ADDSLOTS', ...slots)
      }),
    )
    const first = client(ports[0]!)
    for (const port of ports.slice(1)) await first.call('CLUSTER', 'MEET', '127.0.0.1', String(port))
    await until('every node to know every other', 10_000, async () => {
      for (const port of ports) {
        const nodes = String(await client(port).call('CLUSTER', 'NODES'))
          .trim()
          .split('\n')
        if (nodes.length !== ports.length || nodes.some((line) => /handshake|noaddr/.test(line))) return false
      }
      return true
    })
    if (replicas > 0) {
      const ids = await Promise.all(masterPorts.map(async (port) => String(await client(port).call('CLUSTER', 'MYID'))))
      await Promise.all(ports.slice(masters).map((port, i) => client(port).call('CLUSTER', 'REPLICATE', ids[i % masters]!)))
      await until('replicas to sync', 10_000, async () => {
        for (const port of ports.slice(masters)) {
          if (info(String(await client(port).info('replication')), 'master_link_status') !== 'up') return false
        }
        return true
      })
    }
    await waitUntilOk()
  } catch (error) {
    for (const connection of admin.values()) connection.disconnect()
    await close()
    throw error
  }

  const roles = async () => {
    const out = new Map<number, 'master' | 'replica'>()
    for (const port of ports.filter(running)) {
      out.set(port, info(String(await client(port).info('replication')), 'role') === 'master' ? 'master' : 'replica')
    }
    return out
  }
  return {
    get nodes() {
      return ports.map((port, i) => ({
        port,
        url: `redis://127.0.0.1:${port}`,
        startedAs: i < masters ? ('master' as const) : ('replica' as const),
        running: running(port),
      }))
    },
    startupNodes: ports.map((port) => `127.0.0.1:${port}`),
    stopNode,
    async restartNode(port) {
      if (!ports.includes(port)) throw new Error(`startRedisCluster: no node on port ${port}`)
      if (!running(port)) await launch(port)
    },
    roles,
    async keyCounts() {
      const out = new Map<number, number>()
      for (const [port, role] of await roles()) if (role === 'master') out.set(port, await client(port).dbsize())
      return out
    },
    waitUntilOk,
    async close() {
      for (const connection of admin.values()) connection.disconnect()
      admin.clear()
      await close()
    },
  }
}
