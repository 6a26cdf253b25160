// Starts a throwaway Redis Sentinel setup for failover tests: a master, its replicas and a quorum of sentinels.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitForPort } from './redis-server.js'

export interface RedisSentinelOptions {
  /** Replicas of the master. Default 1. */
  replicas?: number
  /** Sentinel processes; the quorum is a majority of them. Default 3. */
  sentinels?: number
  /** The master group's name. Default `'tollgate'`. */
  name?: string
  /** How long a silent master takes to be declared down, in ms. Default 1 000. */
  downAfterMs?: number
  /** Sentinel's `failover-timeout`, in ms. Default 3 000. */
  failoverTimeoutMs?: number
  /** Longest wait for the setup to be seen by every sentinel, in ms. Default 20 000. */
  startTimeoutMs?: number
}

export interface RedisAddress {
  host: string
  port: number
}

export interface RedisSentinelHandle {
  /** The master group's name, for `{ sentinels, name }`. */
  readonly name: string
  readonly sentinels: readonly RedisAddress[]
  /** The master the sentinels currently name (asked of the first sentinel that answers). */
  master(): Promise<RedisAddress>
  /** SIGKILLs the current master's process (as a crash would); resolves with its address once it is gone. */
  killMaster(): Promise<RedisAddress>
  /** Resolves once every sentinel names a master other than `previous` and that node answers as a master. */
  waitForFailover(previous: RedisAddress, timeoutMs?: number): Promise<RedisAddress>
  /** Kills every process and removes the working folder. */
  close(): Promise<void>
}

const HOST = '127.0.0.1'
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A reply of `SENTINEL MASTER` / `SENTINEL REPLICAS` (a flat field-value list) as an object. */
const fields = (reply: unknown): Record<string, string> => {
  const list = reply as string[]
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!
  return out
}

/**
 * Starts `redis-server` master + replicas (`--replicaof`) and `redis-sentinel` processes on free loopback ports,
 * persistence off, and resolves once every sentinel sees the master, every replica (in sync) and the other
 * sentinels. Needs ioredis (the helper talks to the processes through it).
 * @example
 * const setup = await startRedisSentinel({ replicas: 1, sentinels: 3 })
 * const gateway = new APIGateway({ redis: { sentinels: setup.sentinels, name: setup.name } })
 * const old = await setup.killMaster()
 * await setup.waitForFailover(old)
 * await setup.close()
 */
export const startRedisSentinel = async (options: RedisSentinelOptions = {}): Promise<RedisSentinelHandle> => {
  const { replicas = 1, sentinels: sentinelCount = 3, name = 'tollgate', downAfterMs = 1_000, failoverTimeoutMs = 3_000 } = options
  const startTimeoutMs = options.startTimeoutMs ?? 20_000
  const { Redis } = await import('ioredis')
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sentinel-'))
  const processes = new Map<number, ChildProcess>()

  const launch = async (command: 'redis-server' | 'redis-sentinel', args: string[], port: number) => {
    const child = spawn(command, args, { stdio: 'ignore' })
    processes.set(port, child)
    // A missing binary or a bad config fails at once, not after the port wait.
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`startRedisSentinel: ${command} did not start (${error.message})`)))
      child.once('exit', (code) => reject(new Error(`startRedisSentinel: ${command} on port ${port} exited with ${code}`)))
    })
    failed.catch(() => {}) // only the start is raced: a later exit (killMaster) is expected
    await Promise.race([waitForPort(port, 5_000), failed])
  }
  const kill = async (port: number) => {
    const child = processes.get(port)
    processes.delete(port)
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })
  }
  /** One short-lived command against a node (retries off: a dead node fails at once). */
  const ask = async (port: number, ...args: string[]): Promise<unknown> => {
    const client = new Redis({ host: HOST, port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    client.on('error', () => {})
    try {
      await client.connect()
      return await client.call(args[0]!, ...args.slice(1))
    } finally {
      client.disconnect()
    }
  }
  const until = async (what: string, timeoutMs: number, check: () => Promise<boolean>) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await check().catch(() => false)) return
      if (Date.now() > deadline) throw new Error(`startRedisSentinel: ${what} within ${timeoutMs} ms`)
      await sleep(100)
    }
  }
  // A test run that ends without close() (a crash, a missed afterAll) must not leave servers behind.
  const killAll = () => {
    for (const child of processes.values()) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', killAll)
  const close = async () => {
    process.off('exit', killAll)
    await Promise.all([...processes.keys()].map(kill))
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    // No snapshot and no delay before a diskless sync: a replica (and a promoted one's replicas) syncs at once.
    const server = (port: number) => [
      ...['--port', String(port), '--bind', HOST, '--protected-mode', 'no', '--dir', dir],
      ...['--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'],
    ]
    const masterPort = await freePort()
    await launch('redis-server', server(masterPort), masterPort)
    for (let i = 0; i < replicas; i++) {
      const port = await freePort()
      await launch('redis-server', [...server(port), '--replicaof', HOST, String(masterPort)], port)
    }
    // Sentinels discover replicas from the master's INFO: start them once every replica is online.
    await until(`${replicas} replica(s) did not sync`, startTimeoutMs, async () => {
      const info = String(await ask(masterPort, 'INFO', 'replication'))
      return (info.match(/^slave\d+:.*state=online/gm) ?? []).length >= replicas
    })
    const sentinels: RedisAddress[] = []
    for (let i = 0; i < sentinelCount; i++) {
      const port = await freePort()
      const config = join(dir, `sentinel-${port}.conf`) // sentinel rewrites its config file: one each
      writeFileSync(
        config,
        [
          `port ${port}`,
          `bind ${HOST}`,
          'protected-mode no',
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${masterPort} ${Math.floor(sentinelCount / 2) + 1}`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      )
      await launch('redis-sentinel', [config], port)
      sentinels.push({ host: HOST, port })
    }
    await until('the sentinels did not see the master, its replicas and each other', startTimeoutMs, async () => {
      for (const { port } of sentinels) {
        const master = fields(await ask(port, 'SENTINEL', 'MASTER', name))
        if (master.flags !== 'master' || Number(master['num-slaves']) < replicas) return false
        if (Number(master['num-other-sentinels']) < sentinelCount - 1) return false
        const seen = ((await ask(port, 'SENTINEL', 'REPLICAS', name)) as unknown[]).map(fields)
        if (seen.filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok').length < replicas) return false
      }
      return true
    })

    const masterNamedBy = async (port: number): Promise<RedisAddress> => {
      const [host, masterPort] = (await ask(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string]
      return { host, port: Number(masterPort) }
    }
    const master = async (): Promise<RedisAddress> => {
      let last: unknown
      for (const { port } of sentinels) {
        try {
          return await masterNamedBy(port)
        } catch (error) {
          last = error
        }
      }
      throw new Error('startRedisSentinel: no sentinel answered', { cause: last })
    }
    return {
      name,
      sentinels,
      master,
      async killMaster() {
        const current = await master()
        await kill(current.port)
        return current
      },
      async waitForFailover(previous, timeoutMs = 20_000) {
        let promoted: RedisAddress | undefined
        await until(`no failover away from port ${previous.port}`, timeoutMs, async () => {
          const named = await Promise.all(sentinels.map(({ port }) => masterNamedBy(port)))
          const [first] = named
          if (!first || first.port === previous.port || named.some((m) => m.port !== first.port)) return false
          const role = (await ask(first.port, 'ROLE')) as [string]
          promoted = first
          return role[0] === 'master'
        })
        return promoted!
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
