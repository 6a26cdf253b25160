import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../testing/mock-upstream.js'
import { createHTTPProbe } from './http-probe.js'
import type { UpstreamTarget } from './types.js'
import { UpstreamPool } from './upstream-pool.js'

/** A port that was just free: listen on 0, note the port, close. */
const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('real health probes', () => {
  let ok: MockUpstream
  let failing: MockUpstream
  let redirecting: MockUpstream
  let hanging: MockUpstream
  let deadUrl: string

  beforeAll(async () => {
    ok = await startMockUpstream()
    failing = await startMockUpstream({ failureRate: 1, failureStatus: 500 })
    redirecting = await startMockUpstream({
      handler: (_req, res) => {
        res.writeHead(302, { location: '/elsewhere' })
        res.end()
        return true
      },
    })
    hanging = await startMockUpstream({ handler: () => true }) // never answers
    deadUrl = `http://127.0.0.1:${await closedPort()}`
  })
  afterAll(async () => {
    await Promise.all([ok, failing, redirecting, hanging].map((u) => u?.close()))
  })

  const target = { origin: 'unused' } as UpstreamTarget
  const probeOnce = async (url: string, timeoutMs = 500) => {
    const probe = createHTTPProbe()
    try {
      await probe(target, { url: `${url}/health`, signal: AbortSignal.timeout(timeoutMs), timeoutMs })
      return 'ok'
    } catch (error) {
      return (error as Error).message
    } finally {
      await probe.close()
    }
  }

  it('passes on 2xx and 3xx, fails on 500, a closed port and an answer slower than the timeout', async () => {
    expect(await probeOnce(ok.url)).toBe('ok')
    expect(ok.received.at(-1)).toMatchObject({ method: 'GET', url: '/health' })
    expect(ok.received.at(-1)!.headers['user-agent']).toBe('tollgate-health-check')
    expect(await probeOnce(redirecting.url)).toBe('ok')
    expect(await probeOnce(failing.url)).toBe('unhealthy status 500')
    expect(await probeOnce(deadUrl)).toMatch(/ECONNREFUSED|connect/i)
    const started = Date.now()
    expect(await probeOnce(hanging.url, 150)).not.toBe('ok')
    expect(Date.now() - started).toBeLessThan(3_000) // the 150 ms timeout, with room for a loaded machine
  })

  it('a pool with real short intervals marks exactly the failing targets unhealthy, with reasons', async () => {
    const pool = new UpstreamPool({
      targets: [ok.url, failing.url, deadUrl, hanging.url, redirecting.url],
      // A timeout a loaded machine cannot miss for a local answer; the hanging target never answers at all.
      healthCheck: { path: '/health', intervalMs: 40, timeoutMs: 1_000, unhealthyThreshold: 2, healthyThreshold: 1 },
    })
    const changes: string[] = []
    pool.startHealthChecks({ onChange: (t, healthy) => changes.push(`${t.index}:${healthy}`) })
    try {
      const [good, five, dead, slow, moved] = pool.targets as UpstreamTarget[]
      await until(() => !five!.healthy && !dead!.healthy && !slow!.healthy)
      expect(good!.healthy).toBe(true)
      expect(moved!.healthy).toBe(true)
      expect(good!.lastCheckAt).toBeGreaterThan(0)
      expect(good!.lastCheckError).toBeUndefined()
      expect(five!.lastCheckError).toBe('unhealthy status 500')
      expect(dead!.lastCheckError).toMatch(/ECONNREFUSED|connect/i)
      expect(slow!.lastCheckError).toBe('timed out after 1000 ms')
      expect(changes.sort()).toEqual(['1:false', '2:false', '3:false'])
      expect(pool.healthyCount()).toBe(2)

      // The 500 target recovers: one success brings it back (healthyThreshold 1).
      failing.configure({ failureRate: 0 })
      await until(() => five!.healthy)
      expect(changes).toContain('1:true')
    } finally {
      await pool.stopHealthChecks()
      failing.configure({ failureRate: 1 })
    }
    const after = ok.count()
    await new Promise((r) => setTimeout(r, 120))
    expect(ok.count()).toBe(after) // no probes after stop
  })
})
