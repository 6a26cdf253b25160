import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { redisAvailable, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js'
import { UpstreamGovernor } from './governor.js'
import type { UpstreamGovernorOptions } from './types.js'
import { UpstreamQueueError } from './queue-error.js'
import { credentialKey, upstreamKey } from './upstream-key.js'
import { PACE_SCRIPT, PACE_SCRIPT_SHA, PAUSE_SCRIPT, PAUSE_SCRIPT_SHA, RATE_SCRIPT, RATE_SCRIPT_SHA } from './shared-state.js'

const T0 = Date.UTC(2026, 10, 23, 1, 0, 0)

describe('UpstreamGovernor (fake time)', () => {
  let governors: UpstreamGovernor[] = []
  const make = (options: Partial<UpstreamGovernorOptions> = {}) => {
    const governor = new UpstreamGovernor({ key: 'https://api.example|anon', random: () => 0.5, ...options })
    governors.push(governor)
    return governor
  }
  const record = (promise: Promise<unknown>, log: Array<[string, number]>, label: string) =>
    promise.then(
      () => log.push([label, Date.now() - T0]),
      (error: unknown) => log.push([`${label}:${(error as UpstreamQueueError).reason}`, Date.now() - T0]),
    )

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 })
  })
  afterEach(() => {
    for (const governor of governors) governor.close()
    governors = []
    vi.useRealTimers()
  })

  it('paces a configured budget: 2 requests/s, burst 1 (plus a 5% guard against arrival jitter)', async () => {
    const governor = make({ budget: { requestsPerSecond: 2, burstSize: 1 } })
    const log: Array<[string, number]> = []
    for (let i = 0; i < 4; i++) void record(governor.acquire({ callerId: 'a' }), log, `a${i}`)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(log).toEqual([
      ['a0', 0],
      ['a1', 525],
      ['a2', 1_050],
      ['a3', 1_575],
    ])
  })

  it("serves a polite caller between a greedy caller's queued requests", async () => {
    const governor = make({ budget: { requestsPerSecond: 10, burstSize: 1 } })
    const log: Array<[string, number]> = []
    for (let i = 0; i < 50; i++) void record(governor.acquire({ callerId: 'greedy' }), log, 'greedy')
    await vi.advanceTimersByTimeAsync(350)
    void record(governor.acquire({ callerId: 'polite' }), log, 'polite')
    await vi.advanceTimersByTimeAsync(300)
    const polite = log.find(([label]) => label === 'polite')
    expect(polite).toBeDefined()
    expect(polite![1]).toBeLessThanOrEqual(600)
    const status = governor.status()
    expect(status.callers.map((c) => [c.callerId, c.share])).toEqual([
      ['greedy', 0.5],
      ['polite', 0.5],
    ])
    expect(status.callers[0]!.ratePerSecond).toBe(5)
  })

  it('rejects at once when the predicted wait exceeds maxWaitMs, with the time the queue needs', async () => {
    const governor = make({ budget: { requestsPerSecond: 1, burstSize: 1 } })
    for (let i = 0; i < 10; i++) governor.acquire({ callerId: 'a' }).catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    const error = await governor.acquire({ callerId: 'a', maxWaitMs: 3_000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpstreamQueueError)
    expect((error as UpstreamQueueError).reason).toBe('queue_timeout')
    expect((error as UpstreamQueueError).status).toBe(503)
    // 9 ahead of it at 1/s plus its own → ~10 s; it may wait 3 s, so come back in ~7 s.
    expect((error as UpstreamQueueError).retryAfterMs).toBeGreaterThanOrEqual(6_000)
    expect((error as UpstreamQueueError).retryAfterMs).toBeLessThanOrEqual(8_000)
    // Another caller is only behind the round-robin: it fits.
    const other = governor.acquire({ callerId: 'b', maxWaitMs: 3_500 })
    await vi.advanceTimersByTimeAsync(2_500)
    await expect(other).resolves.toMatchObject({ callerId: 'b' })
  })

  it('times out a queued request when a pause outlasts its bound, with the remaining pause as retryAfterMs', async () => {
    const governor = make({ budget: { requestsPerSecond: 1, burstSize: 1 } })
    await governor.acquire({ callerId: 'a' })
    const waiting = governor.acquire({ callerId: 'a', maxWaitMs: 3_000 }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(100)
    governor.observe({ status: 429, headers: { 'retry-after': '9.9' } })
    await vi.advanceTimersByTimeAsync(2_900)
    const error = (await waiting) as UpstreamQueueError
    // It was admitted (predicted ~1 s), then the pause came; at 3 s, 7 s of pause remain.
    expect(error.reason).toBe('queue_timeout')
    expect(error.retryAfterMs).toBe(7_000)
    expect(error.headers).toEqual({ 'retry-after': '7' })
    const fresh = await governor.acquire({ callerId: 'b', maxWaitMs: 1_000 }).catch((e: unknown) => e)
    expect((fresh as UpstreamQueueError).retryAfterMs).toBe(7_000)
  })

  it('an aborted waiter is removed and never takes budget', async () => {
    const governor = make({ budget: { requestsPerSecond: 1, burstSize: 1 } })
    await governor.acquire({ callerId: 'a' })
    const controller = new AbortController()
    const waiting = governor.acquire({ callerId: 'b', signal: controller.signal }).catch((e: unknown) => e)
    let cAt = 0
    const queued = governor.acquire({ callerId: 'c' }).then(() => (cAt = Date.now() - T0))
    await vi.advanceTimersByTimeAsync(100)
    controller.abort()
    expect(((await waiting) as UpstreamQueueError).reason).toBe('aborted')
    await vi.advanceTimersByTimeAsync(3_000)
    await queued
    // 'a' and 'c' took units; 'b' never did (it was the head waiting for budget: the next slot, ~1 s, went to 'c').
    expect(cAt).toBeGreaterThanOrEqual(1_000)
    expect(cAt).toBeLessThan(2_000)
    expect(governor.status().queued).toBe(0)
  })

  it('an aborted signal rejects at once', async () => {
    const governor = make()
    await expect(governor.acquire({ callerId: 'a', signal: AbortSignal.abort() })).rejects.toMatchObject({ reason: 'aborted' })
  })

  it('a full queue rejects with queue_full', async () => {
    const governor = make({ budget: { requestsPerSecond: 1, burstSize: 1 }, maxQueueLength: 2 })
    for (let i = 0; i < 3; i++) governor.acquire({ callerId: `c${i}` }).catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    governor.acquire({ callerId: 'x' }).catch(() => {})
    await expect(governor.acquire({ callerId: 'y' })).rejects.toMatchObject({ reason: 'queue_full', code: 'upstream_queue_full' })
  })

  it('a 429 with Retry-After pauses every caller until then', async () => {
    const governor = make({ budget: { requestsPerSecond: 100 } })
    const result = governor.observe({ status: 429, headers: new Headers({ 'retry-after': '2' }) })
    expect(result).toMatchObject({ throttled: true, retryAfterMs: 2_000 })
    const log: Array<[string, number]> = []
    void record(governor.acquire({ callerId: 'a' }), log, 'a')
    void record(governor.acquire({ callerId: 'b' }), log, 'b')
    await vi.advanceTimersByTimeAsync(2_100)
    expect(log.map(([, t]) => t)).toEqual([2_000, 2_000])
    expect(governor.status().throttles).toBe(1)
  })

  it('without a hint, the fallback grows per consecutive throttle (429: 1 s, 2 s, 4 s; 503: 5 s, 10 s) and resets on success', () => {
    const governor = make({ jitter: 0 })
    const at = () => governor.pausedUntil - Date.now()
    governor.observe({ status: 429, headers: {} })
    expect(at()).toBe(1_000)
    vi.setSystemTime(T0 + 1_000)
    governor.observe({ status: 429, headers: {} })
    expect(at()).toBe(2_000)
    vi.setSystemTime(T0 + 3_000)
    governor.observe({ status: 429, headers: {} })
    expect(at()).toBe(4_000)
    vi.setSystemTime(T0 + 7_000)
    governor.observe({ status: 200, headers: {} })
    governor.observe({ status: 503, headers: {} })
    expect(at()).toBe(5_000)
    vi.setSystemTime(T0 + 12_000)
    governor.observe({ status: 503, headers: {} })
    expect(at()).toBe(10_000)
  })

  it('a burst of hintless 429s from one episode grows the fallback once', () => {
    const governor = make({ jitter: 0 })
    for (let i = 0; i < 10; i++) governor.observe({ status: 429, headers: {} })
    expect(governor.pausedUntil - Date.now()).toBe(1_000)
    expect(governor.status().throttles).toBe(10)
  })

  it('applies jitter within ± jitter', () => {
    const low = make({ jitter: 0.2, random: () => 0 })
    low.observe({ status: 429, headers: {} })
    expect(low.pausedUntil - Date.now()).toBe(800)
    const high = make({ jitter: 0.2, random: () => 0.999999 })
    high.observe({ status: 429, headers: {} })
    expect(high.pausedUntil - Date.now()).toBeCloseTo(1_200, 0)
  })

  it('X-RateLimit-Remaining: 0 pauses proactively until the reset', async () => {
    const governor = make({ budget: { requestsPerSecond: 100 } })
    const result = governor.observe({ status: 200, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 3) } })
    expect(result).toMatchObject({ throttled: false, retryAfterMs: 3_000 })
    const log: Array<[string, number]> = []
    void record(governor.acquire({ callerId: 'a' }), log, 'a')
    await vi.advanceTimersByTimeAsync(3_100)
    expect(log).toEqual([['a', 3_000]])
  })

  it('learns the rate from the upstream and counts the remaining budget down locally', async () => {
    const governor = make()
    governor.observe({ status: 200, headers: { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '30' } })
    expect(governor.rate()).toEqual({ ratePerSecond: 0.1, source: 'learned' })
    const governor2 = make()
    governor2.observe({ status: 200, headers: { 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': '1' } })
    const log: Array<[string, number]> = []
    for (let i = 0; i < 3; i++) void record(governor2.acquire({ callerId: 'a' }), log, `a${i}`)
    await vi.advanceTimersByTimeAsync(2_000)
    // Two units left in the window: the third request waits for the reset.
    expect(log.map(([, t]) => t).slice(0, 2)).toEqual([0, 525])
    expect(log[2]![1]).toBeGreaterThanOrEqual(1_000)
    expect(governor2.pausedUntil).toBe(T0 + 1_000)
  })

  it('a configured limit is narrowed, never widened, by what the upstream says', () => {
    const governor = make({ budget: { requestsPerMinute: 120 } })
    governor.observe({ status: 200, headers: { 'x-ratelimit-remaining': '1000', 'x-ratelimit-reset': '10' } })
    expect(governor.rate()).toEqual({ ratePerSecond: 2, source: 'configured' })
    governor.observe({ status: 200, headers: { 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '10' } })
    expect(governor.rate()).toEqual({ ratePerSecond: 0.5, source: 'learned' })
  })

  it('with no limit known, AIMD sets the rate: slow start, then halving on a throttle episode', async () => {
    const governor = make({ adaptive: { increase: 1, decrease: 0.5, minRate: 0.5, maxRate: 50 } })
    expect(governor.rate()).toEqual({ ratePerSecond: 1, source: 'adaptive' })
    // Successes while demand stays under the rate do not raise it: the rate was not what limited the sending.
    for (let i = 0; i < 3; i++) {
      governor.observe({ status: 200, headers: {} })
      vi.setSystemTime(Date.now() + 1_000)
    }
    expect(governor.rate().ratePerSecond).toBe(1)
    governor.observe({ status: 200, headers: {} })
    // Sending at the rate (a backlog that keeps the budget busy for the interval), each interval doubles it.
    for (let i = 0; i < 4; i++) {
      const rate = governor.rate().ratePerSecond
      for (let j = 0; j < rate * 2; j++) governor.acquire({ callerId: 'a' }).catch(() => {})
      await vi.advanceTimersByTimeAsync(1_000)
      governor.observe({ status: 200, headers: {} })
    }
    expect(governor.rate().ratePerSecond).toBe(16)
    for (let i = 0; i < 5; i++) governor.observe({ status: 429, headers: { 'retry-after': '0' } })
    expect(governor.rate().ratePerSecond).toBe(8)
  })

  it('close() rejects waiters and leaves no timer', async () => {
    const governor = make({ budget: { requestsPerSecond: 1, burstSize: 1 } })
    await governor.acquire({ callerId: 'a' })
    const waiting = governor.acquire({ callerId: 'a' }).catch((e: unknown) => e)
    const waiting2 = governor.acquire({ callerId: 'b' }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(10)
    governor.close()
    expect(((await waiting) as UpstreamQueueError).reason).toBe('closed')
    expect(((await waiting2) as UpstreamQueueError).reason).toBe('closed')
    // (lru-cache inside MemoryStore keeps a 1 ms clock-cache timer of its own; let it lapse.)
    await vi.advanceTimersByTimeAsync(5)
    expect(vi.getTimerCount()).toBe(0)
    await expect(governor.acquire({ callerId: 'c' })).rejects.toMatchObject({ reason: 'closed' })
  })
})

describe('UpstreamGovernor with a Redis that never answers', () => {
  it('waits one deadline, then paces locally for storeRetryMs: one Redis call and one error per outage, not per request', async () => {
    let calls = 0
    const silent = {
      evalsha: () => {
        calls++
        return new Promise<never>(() => {})
      },
      eval: () => new Promise<never>(() => {}),
    } as unknown as UpstreamGovernorOptions['redis']
    const errors: Error[] = []
    const governor = new UpstreamGovernor({
      key: 'silent',
      budget: { requestsPerSecond: 1_000 },
      redis: silent,
      storeTimeoutMs: 30,
      storeRetryMs: 60_000,
      onError: (e) => errors.push(e),
    })
    try {
      // All 20 resolve although Redis never answers: the first call's deadline switched this key to local pacing.
      await Promise.all(Array.from({ length: 20 }, (_, i) => governor.acquire({ callerId: `c${i % 4}` })))
      governor.observe({ status: 429, headers: { 'retry-after': '0' } }) // a pause write is skipped while Redis is out
      expect(governor.pacingLocally).toBe(true)
      expect(calls).toBe(1)
      expect(errors).toHaveLength(1)
      expect(errors[0]!.message).toMatch(/did not answer within 30 ms/)
    } finally {
      governor.close()
    }
  })
})

describe('upstream keys', () => {
  it('hashes the credential, never keeping the secret', () => {
    const key = credentialKey('Bearer ghp_secret123')
    expect(key).toMatch(/^[0-9a-f]{16}$/)
    expect(key).not.toContain('secret')
    expect(credentialKey('Bearer other')).not.toBe(key)
    expect(credentialKey(undefined)).toBe('anonymous')
    expect(upstreamKey('https://api.github.com', key, 'search')).toBe(`https://api.github.com|${key}|search`)
  })
})

describe.skipIf(!redisAvailable())('UpstreamGovernor across instances (Redis)', () => {
  let server: RedisServerHandle
  let clients: Redis[] = []
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.close()
  })
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.quit()))
    clients = []
  })
  const client = () => {
    const c = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 })
    clients.push(c)
    return c
  }

  it('the precomputed script SHAs match SCRIPT LOAD', async () => {
    const c = client()
    expect(await c.script('LOAD', PAUSE_SCRIPT)).toBe(PAUSE_SCRIPT_SHA)
    expect(await c.script('LOAD', RATE_SCRIPT)).toBe(RATE_SCRIPT_SHA)
    expect(await c.script('LOAD', PACE_SCRIPT)).toBe(PACE_SCRIPT_SHA)
  })

  it('shares one budget through Redis: two instances together stay within it', async () => {
    const prefix = `b${Date.now()}`
    const options = { key: 'shared-budget', prefix, budget: { requestsPerSecond: 10, burstSize: 1 } }
    const a = new UpstreamGovernor({ ...options, redis: client() })
    const b = new UpstreamGovernor({ ...options, redis: client() })
    try {
      const started = Date.now()
      await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).acquire({ callerId: `c${i}` })))
      // 6 units at 10/s with a burst of 1: the last goes ~500 ms after the first.
      expect(Date.now() - started).toBeGreaterThanOrEqual(450)
    } finally {
      a.close()
      b.close()
    }
  })

  it("shares the adaptive rate: a throttle seen by one instance lowers the other's rate", async () => {
    const prefix = `r${Date.now()}`
    const options = {
      key: 'adaptive',
      prefix,
      adaptive: { decrease: 0.5, minRate: 1, maxRate: 64, episodeMs: 1_000 },
      initialRatePerSecond: 32,
    }
    const a = new UpstreamGovernor({ ...options, redis: client() })
    const b = new UpstreamGovernor({ ...options, redis: client() })
    try {
      a.observe({ status: 503, headers: { 'retry-after': '0' } })
      await new Promise((r) => setTimeout(r, 50))
      expect(a.rate().ratePerSecond).toBe(16)
      b.observe({ status: 429, headers: { 'retry-after': '0' } }) // same episode: no second cut
      await new Promise((r) => setTimeout(r, 50))
      expect(b.rate().ratePerSecond).toBe(16)
      expect(Number(await clients[0]!.hget(`${prefix}:upstream:{adaptive}:rate`, 'rate'))).toBe(16)
      expect(await clients[0]!.pttl(`${prefix}:upstream:{adaptive}:rate`)).toBeGreaterThan(3_000_000)
    } finally {
      a.close()
      b.close()
    }
  })

  it('a 429 seen by one instance pauses the other', async () => {
    const prefix = `t${Date.now()}`
    const key = upstreamKey('http://upstream', credentialKey('Bearer x'))
    const options = { key, budget: { requestsPerSecond: 100 }, prefix, jitter: 0 }
    const a = new UpstreamGovernor({ ...options, redis: client() })
    const b = new UpstreamGovernor({ ...options, redis: client() })
    try {
      await b.acquire({ callerId: 'warm' })
      a.observe({ status: 429, headers: { 'retry-after': '1' } })
      await new Promise((r) => setTimeout(r, 30)) // let the script land
      const started = Date.now()
      await b.acquire({ callerId: 'x' })
      const waited = Date.now() - started
      expect(waited).toBeGreaterThanOrEqual(850)
      expect(waited).toBeLessThan(1_500)
      // A shorter pause never shortens a longer one.
      a.observe({ status: 429, headers: { 'retry-after': '5' } })
      await new Promise((r) => setTimeout(r, 30))
      const pttl = await clients[0]!.pttl(`${prefix}:upstream:{${key}}:pause`)
      expect(pttl).toBeGreaterThan(4_000)
      await clients[0]!.eval(PAUSE_SCRIPT, 1, `${prefix}:upstream:{${key}}:pause`, 100)
      expect(await clients[0]!.pttl(`${prefix}:upstream:{${key}}:pause`)).toBeGreaterThan(4_000)
    } finally {
      a.close()
      b.close()
    }
  })

  it('NOSCRIPT falls back to EVAL', async () => {
    const c = client()
    await c.script('FLUSH')
    const prefix = `n${Date.now()}`
    const errors: Error[] = []
    const a = new UpstreamGovernor({ key: 'k', redis: c, prefix, onError: (e) => errors.push(e) })
    a.observe({ status: 503, headers: { 'retry-after': '2' } })
    await new Promise((r) => setTimeout(r, 30))
    expect(await c.pttl(`${prefix}:upstream:{k}:pause`)).toBeGreaterThan(1_500)
    expect(errors).toEqual([])
    a.close()
  })
})
