import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { HealthChecker, type HealthProbe, type ProbeRequest } from './health-checker.js'
import type { UpstreamTarget } from './types.js'
import { UpstreamPool } from './upstream-pool.js'

const INTERVAL = 1_000
const TIMEOUT = 200

/** A fake probe whose answer per origin the test sets; records every call. */
const fakeProbe = () => {
  const down = new Set<string>()
  const calls: Array<{ origin: string; at: number; request: ProbeRequest }> = []
  const probe: HealthProbe = async (target, request) => {
    calls.push({ origin: target.origin, at: Date.now(), request })
    if (down.has(target.origin)) throw new Error('connect ECONNREFUSED')
  }
  return { probe, down, calls }
}

const makePool = (targets = ['http://a.test', 'http://b.test'], healthCheck: object = {}) =>
  new UpstreamPool({
    targets,
    healthCheck: { path: '/health', intervalMs: INTERVAL, timeoutMs: TIMEOUT, healthyThreshold: 2, unhealthyThreshold: 3, ...healthCheck },
  })

describe('HealthChecker (fake timers, fake probe)', () => {
  let pool: UpstreamPool
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
  })
  afterEach(async () => {
    await pool?.stopHealthChecks()
    expect(vi.getTimerCount()).toBe(0)
    vi.useRealTimers()
  })

  it('marks a target unhealthy after exactly unhealthyThreshold failures and back after healthyThreshold successes', async () => {
    pool = makePool()
    const { probe, down, calls } = fakeProbe()
    const changes: Array<[string, boolean]> = []
    pool.startHealthChecks({ probe, random: () => 0.5, onChange: (t, healthy) => changes.push([t.origin, healthy]) })
    const [a, b] = pool.targets as [UpstreamTarget, UpstreamTarget]
    down.add(a.origin)

    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(calls.map((c) => c.origin)).toEqual(['http://a.test', 'http://b.test'])
    expect(calls[0]!.request.url).toBe('http://a.test/health')
    expect(calls[0]!.request.timeoutMs).toBe(TIMEOUT)
    expect(a.lastCheckAt).toBe(Date.now())
    expect(a.lastCheckError).toContain('ECONNREFUSED')
    expect(b.lastCheckError).toBeUndefined()
    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(a.healthy).toBe(true) // 2 failures: not yet
    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(a.healthy).toBe(false) // the 3rd
    expect(b.healthy).toBe(true)
    expect(pool.healthyCount()).toBe(1)
    expect(changes).toEqual([['http://a.test', false]])

    down.delete(a.origin)
    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(a.healthy).toBe(false) // 1 success: not yet
    expect(a.lastCheckError).toBeUndefined()
    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(a.healthy).toBe(true)
    expect(changes).toEqual([
      ['http://a.test', false],
      ['http://a.test', true],
    ])
    expect(calls).toHaveLength(10)
  })

  it('needs consecutive results: a success in between resets the failure count', async () => {
    pool = makePool(['http://a.test'])
    const { probe, down } = fakeProbe()
    pool.startHealthChecks({ probe, random: () => 0.5 })
    const a = pool.targets[0]!
    for (const fail of [true, true, false, true, true]) {
      if (fail) down.add(a.origin)
      else down.delete(a.origin)
      await vi.advanceTimersByTimeAsync(INTERVAL)
      expect(a.healthy).toBe(true)
    }
    down.add(a.origin)
    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(a.healthy).toBe(false)
  })

  it('fails a probe that outlives timeoutMs and aborts its signal', async () => {
    pool = makePool(['http://a.test'], { unhealthyThreshold: 1 })
    const signals: AbortSignal[] = []
    const probe: HealthProbe = (_t, { signal }) => {
      signals.push(signal)
      return new Promise(() => {}) // hangs and ignores its signal
    }
    pool.startHealthChecks({ probe, random: () => 0.5 })
    const a = pool.targets[0]!
    await vi.advanceTimersByTimeAsync(INTERVAL + TIMEOUT - 1)
    expect(a.healthy).toBe(true)
    expect(signals[0]!.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(a.healthy).toBe(false)
    expect(a.lastCheckError).toBe(`timed out after ${TIMEOUT} ms`)
    expect(signals[0]!.aborted).toBe(true)
    // The next probe starts one interval after the timed-out one started, not after it gave up.
    await vi.advanceTimersByTimeAsync(INTERVAL - TIMEOUT - 1)
    expect(signals).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(signals).toHaveLength(2)
  })

  it('takes a hanging target out within unhealthyThreshold × intervalMs × 1.1 + timeoutMs, even at the worst jitter', async () => {
    pool = makePool(['http://a.test'])
    pool.startHealthChecks({ probe: () => new Promise(() => {}), random: () => 0.999_999 })
    const bound = 3 * INTERVAL * 1.1 + TIMEOUT
    await vi.advanceTimersByTimeAsync(bound - 1)
    expect(pool.targets[0]!.healthy).toBe(true)
    await vi.advanceTimersByTimeAsync(1)
    expect(pool.targets[0]!.healthy).toBe(false)
  })

  it('counts a probe that throws synchronously as a failure', async () => {
    pool = makePool(['http://a.test'], { unhealthyThreshold: 1 })
    pool.startHealthChecks({
      probe: () => {
        throw new Error('boom')
      },
      random: () => 0.5,
    })
    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(pool.targets[0]!.healthy).toBe(false)
    expect(pool.targets[0]!.lastCheckError).toBe('boom')
  })

  it('jitters the first probe and every interval by up to ±10%', async () => {
    pool = makePool(['http://a.test'])
    const { probe, calls } = fakeProbe()
    const start = Date.now()
    const randoms = [0, 0.999_999, 0.5]
    pool.startHealthChecks({ probe, random: () => randoms.shift() ?? 0.5 })
    await vi.advanceTimersByTimeAsync(899)
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls.map((c) => c.at - start)).toEqual([900])
    await vi.advanceTimersByTimeAsync(1_100)
    expect(calls.map((c) => c.at - start)).toEqual([900, 2_000])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(calls.map((c) => c.at - start)).toEqual([900, 2_000, 3_000])
  })

  it('gives each target its own timer, so targets do not probe in lockstep', async () => {
    pool = makePool(['http://a.test', 'http://b.test', 'http://c.test'])
    const { probe, calls } = fakeProbe()
    const start = Date.now()
    const randoms = [0, 0.5, 0.999_999]
    pool.startHealthChecks({ probe, random: () => randoms.shift() ?? 0.5 })
    expect(vi.getTimerCount()).toBe(3)
    await vi.advanceTimersByTimeAsync(1_100)
    expect(calls.map((c) => [c.origin, c.at - start])).toEqual([
      ['http://a.test', 900],
      ['http://b.test', 1_000],
      ['http://c.test', 1_100],
    ])
  })

  it('stop() clears every timer, aborts probes in flight and ignores their late results', async () => {
    pool = makePool(['http://a.test', 'http://b.test'], { unhealthyThreshold: 1 })
    const signals: AbortSignal[] = []
    const probe: HealthProbe = (_t, { signal }) =>
      new Promise((_resolve, reject) => {
        signals.push(signal)
        signal.addEventListener('abort', () => reject(new Error('aborted')))
      })
    const checker = pool.startHealthChecks({ probe, random: () => 0.5 })!
    expect(checker.running).toBe(true)
    expect(pool.startHealthChecks({ probe })).toBe(checker) // idempotent
    await vi.advanceTimersByTimeAsync(INTERVAL + 10)
    expect(signals).toHaveLength(2)
    expect(vi.getTimerCount()).toBe(2) // the two probe timeouts
    await pool.stopHealthChecks()
    expect(checker.running).toBe(false)
    expect(pool.healthChecker).toBeUndefined()
    expect(signals.every((s) => s.aborted)).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(10 * INTERVAL)
    expect(signals).toHaveLength(2)
    expect(pool.targets.every((t) => t.healthy && t.lastCheckAt === undefined)).toBe(true)
  })

  it('can be restarted after stop, and a late result from the old run changes nothing', async () => {
    pool = makePool(['http://a.test'], { unhealthyThreshold: 1 })
    const target = pool.targets[0]!
    let release: (() => void) | undefined
    const checker = new HealthChecker(pool.targets, pool.healthCheck!, {
      random: () => 0.5,
      probe: () => new Promise<void>((_resolve, reject) => (release = () => reject(new Error('late failure')))),
    })
    checker.start()
    await vi.advanceTimersByTimeAsync(INTERVAL)
    const late = release!
    await checker.stop()
    checker.start()
    late()
    await vi.advanceTimersByTimeAsync(0)
    expect(target.healthy).toBe(true)
    expect(target.lastCheckError).toBeUndefined()
    expect(vi.getTimerCount()).toBe(1)
    await checker.stop()
  })

  it('accepts a Clock for lastCheckAt and swallows errors from onChange', async () => {
    pool = makePool(['http://a.test'], { unhealthyThreshold: 1 })
    const { probe, down } = fakeProbe()
    down.add('http://a.test')
    const checker = new HealthChecker(pool.targets, pool.healthCheck!, {
      probe,
      clock: { now: () => 42 },
      random: () => 0.5,
      onChange: () => {
        throw new Error('logger broke')
      },
    }).start()
    await vi.advanceTimersByTimeAsync(INTERVAL)
    expect(pool.targets[0]!.healthy).toBe(false)
    expect(pool.targets[0]!.lastCheckAt).toBe(42)
    expect(vi.getTimerCount()).toBe(1) // still scheduled
    await checker.stop()
  })
})
