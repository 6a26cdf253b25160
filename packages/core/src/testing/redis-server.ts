// Starts a throwaway redis-server on a free loopback port for tests; in CI a missing binary is a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServerHandle {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGKILL when `abrupt`, as a crash would). The port stays reserved for restart(). */
  stop(options?: { abrupt?: boolean }): Promise<void>
  /** Starts it again on the same port (data is not persisted). */
  restart(): Promise<void>
  /** Stops the server and removes its working folder. */
  close(): Promise<void>
}

/** True when a redis-server binary (or `binary`, such as redis-sentinel) is on PATH. */
export const hasRedisServer = (binary = 'redis-server'): boolean => spawnSync(binary, ['--version']).status === 0

/**
 * Whether Redis-backed tests should run. Locally, a missing redis-server (or `binary`) skips them with a loud
 * warning; under CI (CI=true) it returns true so the tests fail instead of hiding the missing dependency.
 */
export const redisAvailable = (binary = 'redis-server'): boolean => {
  if (hasRedisServer(binary)) return true
  if (process.env.CI) return true
  console.warn(`\n!!! ${binary} not found: Redis tests are SKIPPED locally (CI installs it and fails without it) !!!\n`)
  return false
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Resolves once something accepts connections on 127.0.0.1:`port`; rejects after `timeoutMs`. */
export const waitForPort = async (port: number, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export interface RedisServerOptions {
  /** Extra redis-server arguments, e.g. `['--replicaof', '127.0.0.1', '6379']`. */
  args?: readonly string[]
}

/** Starts redis-server on 127.0.0.1 with persistence off. */
export const startRedisServer = async (options: RedisServerOptions = {}): Promise<RedisServerHandle> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'))
  let child: ChildProcess | undefined

  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--protected-mode',
        'no',
        ...(options.args ?? []),
      ],
      { stdio: 'ignore' },
    )
    await waitForPort(port, 5_000)
  }
  const stop = async (options: { abrupt?: boolean } = {}) => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill(options.abrupt ? 'SIGKILL' : 'SIGTERM')
    })
  }
  await launch()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: launch,
    close: async () => {
      await stop({ abrupt: true })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
