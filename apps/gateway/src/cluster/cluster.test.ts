// `tollgate --workers 2` as real processes: a cluster primary, two gateway workers, a real redis-server.
import cluster from 'node:cluster'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  rawRequest,
  redisAvailable,
  startMockUpstream,
  startRedisServer,
  type MockUpstream,
  type RedisServerHandle,
} from '@tollgate/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive, killLaunched, launch, waitFor, type Launched } from '../fixtures/launch.js'
import { runPrimary } from './primary.js'
import { RestartPolicy } from './restart-policy.js'

interface WorkerFigures {
  worker: number
  pid: number | null
  reported: boolean
  requests_total: number | null
  gauges: Record<string, number | null> | null
}
const metricsOf = async (url: string) =>
  (await rawRequest(url, '/_metrics')).json() as {
    requests_total: number
    requests_rate_limited: number
    workers: WorkerFigures[]
  }

/** `count` requests over `lanes` parallel lanes, each on a new connection (so the primary spreads them). */
const spread = async (url: string, path: string, count: number, lanes = 8): Promise<number[]> => {
  const statuses: number[] = []
  let sent = 0
  const lane = async () => {
    while (sent < count) {
      sent++
      statuses.push((await rawRequest(url, path)).status)
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  return statuses
}

const tally = (statuses: readonly number[]) => statuses.reduce<Record<number, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {})

const writeConfig = async (dir: string, config: object): Promise<string> => {
  const file = join(dir, `tollgate-${Math.random().toString(36).slice(2)}.json`)
  await writeFile(file, JSON.stringify(config))
  return file
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-cluster-'))
})
afterAll(async () => {
  killLaunched()
  await rm(dir, { recursive: true, force: true })
})

describe.skipIf(!redisAvailable())('--workers 2 with Redis', () => {
  let redis: RedisServerHandle
  let upstream: MockUpstream
  let slow: MockUpstream
  let gateway: Launched
  let url: string
  beforeAll(async () => {
    redis = await startRedisServer()
    upstream = await startMockUpstream()
    slow = await startMockUpstream({ latencyMs: 1_000 })
    const config = await writeConfig(dir, {
      port: 0,
      host: '127.0.0.1',
      redisUrl: redis.url,
      routes: [
        { prefix: '/limited', upstream: upstream.url, rateLimit: { requestsPerHour: 100 } },
        { prefix: '/slow', upstream: slow.url },
      ],
    })
    gateway = launch({ TOLLGATE_CONFIG: config }, ['--workers', '2'])
    url = (await waitFor(gateway, /2 workers listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000))[1]!
  }, 40_000)
  afterAll(async () => {
    killLaunched()
    await Promise.all([redis?.close(), upstream?.close(), slow?.close()])
  })

  it('a limit of 100 admits exactly 100 across both workers, and /_metrics counts the requests of both', async () => {
    const statuses = await spread(url, '/limited/x', 160)
    expect(tally(statuses)).toEqual({ 200: 100, 429: 60 })
    expect(upstream.count()).toBe(100)

    const metrics = await metricsOf(url)
    expect(metrics).toMatchObject({ requests_total: 160, requests_rate_limited: 60 })
    expect(metrics.workers).toHaveLength(2)
    for (const worker of metrics.workers) {
      expect(worker.reported).toBe(true)
      expect(worker.requests_total).toBeGreaterThan(0) // both served some
    }
    expect(metrics.workers.reduce((sum, w) => sum + (w.requests_total ?? 0), 0)).toBe(160)
    expect(metrics.workers.map((w) => typeof w.gauges?.cache_size)).toEqual(['number', 'number'])

    const prometheus = (await rawRequest(url, '/_metrics/prometheus')).body
    expect(prometheus).toContain('tollgate_requests_total{route="limited",status_class="2xx"} 100')
    expect(prometheus).toContain('tollgate_requests_total{route="limited",status_class="4xx"} 60')
    expect(prometheus).toContain('tollgate_request_duration_seconds_count{route="limited"} 160')
  })

  it('a killed worker is restarted and serves again', async () => {
    const before = (await metricsOf(url)).workers
    const victim = before[1]!.pid!
    process.kill(victim, 'SIGKILL')
    await waitFor(gateway, /worker 2 \(pid \d+\) is serving again/, 20_000)
    const after = (await metricsOf(url)).workers
    expect(after[1]!.pid).not.toBe(victim)
    expect(after[0]!.pid).toBe(before[0]!.pid)
    await spread(url, '/limited/x', 20)
    const served = (await metricsOf(url)).workers
    expect(served.every((w) => w.reported && (w.requests_total ?? 0) > 0)).toBe(true)
    expect(gateway.output()).toMatch(/worker 2 \(pid \d+\) exited with signal SIGKILL: restarting it in 100 ms/)
  })

  it('SIGTERM to the primary drains every worker (in-flight requests finish) and exits 0', async () => {
    const pids = (await metricsOf(url)).workers.map((w) => w.pid!)
    // One slow request per worker (new connections alternate between them), in flight when the signal comes.
    const inFlight = [rawRequest(url, '/slow/a'), rawRequest(url, '/slow/b'), rawRequest(url, '/slow/c')]
    while (slow.count() < 3) await new Promise((r) => setTimeout(r, 20))
    gateway.child.kill('SIGTERM')
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200, 200])
    expect(await gateway.exited).toBe(0)
    expect(pids.filter(alive)).toEqual([])
    expect(gateway.output()).toContain('SIGTERM received: draining 2 workers')
  })
})

describe('--workers refused or given up', () => {
  it('without Redis: exits 1 naming workers and Redis, before forking anything', async () => {
    const run = launch({ TOLLGATE_WORKERS: '2', PORT: '0', HOST: '127.0.0.1' })
    expect(await run.exited).toBe(1)
    expect(run.output()).toContain('invalid config: workers is 2 but no Redis is configured')
    expect(run.output()).toContain('a limit of 100 would admit 100 per worker')
    expect(run.output()).not.toContain('listening')
  })

  it('workers that crash at boot are restarted with backoff, then given up after 5 fast crashes: exit 1', async () => {
    const logs: string[] = []
    const logger = { info: () => {}, debug: () => {}, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) }
    cluster.setupPrimary({ exec: fileURLToPath(new URL('../fixtures/crash-at-boot.mjs', import.meta.url)), silent: true })
    const exited = new Promise<number>((exit) =>
      runPrimary({ workers: 2, logger, exit, signals: [], policy: new RestartPolicy({ baseDelayMs: 10 }) }),
    )
    expect(await exited).toBe(1)
    const slot1 = logs.filter((line) => line.startsWith('worker 1 '))
    expect(slot1.slice(0, 4).map((line) => /restarting it in (\d+) ms/.exec(line)?.[1])).toEqual(['10', '20', '40', '80'])
    expect(logs.join('\n')).toMatch(/worker \d \(pid \d+\) exited with code 3, its 5th crash in a row within 10 s of starting: giving up/)
    await new Promise((r) => setTimeout(r, 200)) // the other slot's worker, killed while booting, exits too
    expect(Object.keys(cluster.workers ?? {})).toEqual([])
  })
})
