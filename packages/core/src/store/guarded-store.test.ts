import { describe, expect, it } from 'vitest'
import { GatewayError } from '../errors.js'
import { RateLimitAlgorithm, type LimitDecision, type LimitRule, type RateLimitStore } from '../limiter/types.js'
import { GuardedStore } from './guarded-store.js'
import { MemoryStore } from './memory-store.js'
import { StoreError } from './store-error.js'

const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 2, windowMs: 60_000 }]

/** A store whose behaviour the test switches: healthy (memory), failing, or hanging. */
const switchable = () => {
  const memory = new MemoryStore()
  let mode: 'ok' | 'fail' | 'hang' = 'ok'
  let calls = 0
  const store: RateLimitStore = {
    consume: (key, r, cost) => store.consumeMany!([{ key, rules: r, cost }]),
    consumeMany: (entries) => {
      calls++
      if (mode === 'fail') return Promise.reject(new StoreError('boom', { cause: new Error('ECONNREFUSED') }))
      if (mode === 'hang') return new Promise<LimitDecision>(() => {})
      return memory.consumeMany(entries)
    },
    reset: (key) => memory.reset(key),
    close: () => memory.close(),
  }
  return { store, set: (m: typeof mode) => void (mode = m), calls: () => calls }
}

const recordingLogger = () => {
  const lines: string[] = []
  return { lines, warn: (m: string) => void lines.push(`warn ${m}`), info: (m: string) => void lines.push(`info ${m}`) }
}

describe('GuardedStore', () => {
  it('passes decisions through while the store is healthy', async () => {
    const inner = switchable()
    const guarded = new GuardedStore(inner.store, { logger: recordingLogger() })
    expect(await guarded.consume('a', rules, 1)).toMatchObject({ allowed: true, remaining: 1 })
    expect((await guarded.consume('a', rules, 1)).degraded).toBeUndefined()
    expect(guarded.health()).toMatchObject({ status: 'up', failures: 0 })
  })

  it('a hanging store: no decision waits past the timeout, the fallback answers', async () => {
    const inner = switchable()
    inner.set('hang')
    const guarded = new GuardedStore(inner.store, { timeoutMs: 20, tripAfterTimeouts: 1, logger: recordingLogger() })
    const started = performance.now()
    const decision = await guarded.consume('a', rules, 1)
    expect(performance.now() - started).toBeLessThan(20 + 80)
    expect(decision).toMatchObject({ allowed: true, remaining: 1, degraded: 'fallback' })
    expect(guarded.health().status).toBe('down')
  })

  it('one timeout sends only that decision to the policy; consecutive timeouts mark the store down', async () => {
    const inner = switchable()
    const guarded = new GuardedStore(inner.store, { timeoutMs: 10, tripAfterTimeouts: 3, logger: recordingLogger() })
    inner.set('hang')
    expect((await guarded.consume('a', rules, 1)).degraded).toBe('fallback')
    inner.set('ok')
    expect((await guarded.consume('a', rules, 1)).degraded).toBeUndefined()
    expect(guarded.health()).toMatchObject({ status: 'up', failures: 1 })
    inner.set('hang')
    for (let i = 0; i < 2; i++) await guarded.consume('a', rules, 1)
    expect(guarded.health().status).toBe('up')
    await guarded.consume('a', rules, 1)
    expect(guarded.health()).toMatchObject({ status: 'down', failures: 4 })
  })

  it('a connection error marks the store down at once', async () => {
    const inner = switchable()
    const guarded = new GuardedStore(inner.store, { tripAfterTimeouts: 3, logger: recordingLogger() })
    inner.set('fail')
    await guarded.consume('a', rules, 1)
    expect(guarded.health().status).toBe('down')
  })

  it('a store error never becomes a 429: fallback limits locally, logs the outage once', async () => {
    const inner = switchable()
    inner.set('fail')
    const logger = recordingLogger()
    const guarded = new GuardedStore(inner.store, { logger, probeIntervalMs: 60_000 })
    const decisions = [await guarded.consume('a', rules, 1)]
    decisions.push(...(await Promise.all(Array.from({ length: 4 }, () => guarded.consume('a', rules, 1)))))
    // The local fallback still limits (2 per minute), and every answer says where it came from.
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false, false, false])
    expect(decisions.every((d) => d.degraded === 'fallback')).toBe(true)
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toHaveLength(1)
    expect(guarded.stats()).toMatchObject({ status: 'down', fallbackDecisions: 5 })
    // While down, requests do not wait on the store: only the first reached it.
    expect(inner.calls()).toBe(1)
  })

  it("'allow' lets requests through, 'deny' answers 503 store_unavailable", async () => {
    const inner = switchable()
    inner.set('fail')
    const allow = new GuardedStore(inner.store, { onStoreFailure: 'allow', logger: recordingLogger() })
    expect(await allow.consume('a', rules, 5)).toMatchObject({ allowed: true, degraded: 'allow' })
    const deny = new GuardedStore(inner.store, { onStoreFailure: 'deny', logger: recordingLogger() })
    const error = await deny.consume('a', rules, 1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GatewayError)
    expect(error).toMatchObject({ status: 503, code: 'store_unavailable' })
    expect(deny.stats().deniedOnFailure).toBe(1)
    expect(() => new GuardedStore(inner.store, { onStoreFailure: 'nope' as never })).toThrow(/onStoreFailure/)
  })

  it('recovers by itself: one probe per interval, recovery logged once', async () => {
    const inner = switchable()
    inner.set('fail')
    const logger = recordingLogger()
    let now = 1_000
    const guarded = new GuardedStore(inner.store, { logger, probeIntervalMs: 100, clock: { now: () => now } })
    await guarded.consume('a', rules, 1)
    expect(guarded.health()).toEqual({ status: 'down', since: 1_000, failures: 1 })
    inner.set('ok')
    await guarded.consume('a', rules, 1)
    expect(inner.calls()).toBe(1) // before the probe interval: straight to the fallback
    now += 100
    const probed = await guarded.consume('a', rules, 1)
    expect(probed.degraded).toBeUndefined()
    expect(guarded.health()).toEqual({ status: 'up', since: 1_100, failures: 1 })
    await guarded.consume('a', rules, 1)
    expect(logger.lines).toEqual([expect.stringMatching(/^warn .*unavailable/), expect.stringMatching(/^info .*available again/)])
  })
})
