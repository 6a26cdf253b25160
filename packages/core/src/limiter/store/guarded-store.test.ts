import { EventEmitter } from 'node:events'
import FakeTimers from '@sinonjs/fake-timers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GatewayError } from '../../errors.js'
import { RateLimitAlgorithm, type LimitDecision, type LimitRule, type RateLimitStore } from '../types.js'
import { DEFAULT_STORE_TIMEOUT_MS } from './deadline.js'
import { GuardedStore } from './guarded-store.js'
import { MemoryStore } from './memory-store.js'
import { StoreError } from './store-error.js'

const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 2, windowMs: 60_000 }]
const big: LimitRule[] = [{ algorithm: RateLimitAlgorithm.FIXED_WINDOW, limit: 1_000, windowMs: 60_000 }]

/** An ioredis-like connection whose status the test sets (ioredis sets the status before emitting the event). */
const fakeConnection = (status: string) => {
  const events = new EventEmitter()
  const connection = {
    status,
    on: (event: string, listener: () => void) => events.on(event, listener),
    off: (event: string, listener: () => void) => events.off(event, listener),
    emit(next: string, event: string) {
      connection.status = next
      events.emit(event)
    },
  }
  return connection
}

/** A store whose behaviour the test switches: healthy (memory), failing, or hanging. */
const switchable = () => {
  const memory = new MemoryStore()
  let mode: 'ok' | 'fail' | 'reply' | 'hang' = 'ok'
  let calls = 0
  const store: RateLimitStore = {
    consume: (key, r, cost) => store.consumeMany!([{ key, rules: r, cost }]),
    consumeMany: (entries) => {
      calls++
      if (mode === 'fail') return Promise.reject(new StoreError('boom', { cause: new Error('connect ECONNREFUSED 127.0.0.1:6379') }))
      if (mode === 'reply') return Promise.reject(new StoreError('rate limit store: OOM command not allowed'))
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

let timers: ReturnType<typeof FakeTimers.install>
beforeEach(() => {
  timers = FakeTimers.install({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date', 'performance'] })
})
afterEach(() => timers.uninstall())

describe('GuardedStore', () => {
  it('passes decisions through while the store is healthy', async () => {
    const inner = switchable()
    const guarded = new GuardedStore(inner.store, { logger: recordingLogger() })
    expect(await guarded.consume('a', rules, 1)).toMatchObject({ allowed: true, remaining: 1 })
    expect((await guarded.consume('a', rules, 1)).degraded).toBeUndefined()
    expect(guarded.health()).toMatchObject({ status: 'up', failures: 0 })
  })

  it('a hanging store: the decision is answered by the fallback at the default deadline, one late answer does not trip', async () => {
    const inner = switchable()
    inner.set('hang')
    const guarded = new GuardedStore(inner.store, { logger: recordingLogger() })
    expect(guarded.timeoutMs).toBe(DEFAULT_STORE_TIMEOUT_MS)
    let decision: LimitDecision | undefined
    void guarded.consume('a', rules, 1).then((d) => (decision = d))
    await timers.tickAsync(DEFAULT_STORE_TIMEOUT_MS - 1)
    expect(decision).toBeUndefined()
    await timers.tickAsync(1)
    await timers.runToLastAsync() // the verdict waits one setImmediate
    expect(decision).toMatchObject({ allowed: true, remaining: 1, degraded: 'fallback' })
    expect(guarded.health()).toMatchObject({ status: 'up', failures: 1 })
  })

  it('timeouts trip the store only when sustained: >= 5 in a second and >= half of its decisions', async () => {
    const inner = switchable()
    const guarded = new GuardedStore(inner.store, { timeoutMs: 50, logger: recordingLogger() })
    const decide = async () => {
      const pending = guarded.consume('a', big, 1)
      await timers.tickAsync(50)
      await timers.runToLastAsync()
      return pending
    }
    for (let i = 0; i < 10; i++) await decide()
    inner.set('hang')
    for (let i = 0; i < 5; i++) expect((await decide()).degraded).toBe('fallback')
    expect(guarded.health()).toMatchObject({ status: 'up', failures: 5 }) // 5 of 15: a few slow answers
    await timers.tickAsync(1_000) // a new window
    for (let i = 0; i < 4; i++) await decide()
    expect(guarded.health().status).toBe('up')
    await decide()
    expect(guarded.health()).toMatchObject({ status: 'down', failures: 10 })
  })

  it('store errors that are not a lost connection trip it only when sustained, like timeouts', async () => {
    const inner = switchable()
    const logger = recordingLogger()
    const guarded = new GuardedStore(inner.store, { logger })
    for (let i = 0; i < 6; i++) await guarded.consume('a', big, 1)
    inner.set('reply')
    for (let i = 0; i < 4; i++) expect((await guarded.consume('a', big, 1)).degraded).toBe('fallback')
    expect(guarded.health().status).toBe('up') // 4 of 10
    await guarded.consume('a', big, 1)
    expect(guarded.health().status).toBe('up') // 5 of 11: under half
    await guarded.consume('a', big, 1)
    expect(guarded.health()).toMatchObject({ status: 'down', failures: 6 }) // 6 of 12
    expect(logger.lines).toEqual([expect.stringMatching(/unavailable \(6 of 12 decisions failed \(last: .*OOM/)])
  })

  it('a connection error marks the store down at once', async () => {
    const inner = switchable()
    const guarded = new GuardedStore(inner.store, { logger: recordingLogger() })
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

  it('connection loss trips at once, without touching the store; ready probes and brings it back, logged once each', async () => {
    const inner = switchable()
    const connection = fakeConnection('ready')
    const logger = recordingLogger()
    let probes = 0
    const guarded = new GuardedStore(inner.store, { connection, probe: async () => void probes++, logger })
    await guarded.consume('a', rules, 1)
    connection.emit('reconnecting', 'close')
    expect(guarded.health().status).toBe('down')
    await timers.tickAsync(5_000) // far past the probe interval: still no waiting on a disconnected store
    expect((await guarded.consume('a', rules, 1)).degraded).toBe('fallback')
    expect(inner.calls()).toBe(1)
    connection.emit('ready', 'ready')
    await timers.runToLastAsync()
    expect([probes, guarded.health().status]).toEqual([1, 'up'])
    expect((await guarded.consume('a', rules, 1)).degraded).toBeUndefined()
    connection.emit('end', 'close') // a deliberate quit() is not an outage
    expect(guarded.health().status).toBe('up')
    expect(logger.lines).toEqual([
      expect.stringMatching(/^warn .*unavailable \(connection lost\)/),
      expect.stringMatching(/^info .*available again/),
    ])
  })

  it('a decision made while connecting waits for the connection, within the deadline', async () => {
    const inner = switchable()
    const connection = fakeConnection('connecting')
    const guarded = new GuardedStore(inner.store, { connection, logger: recordingLogger() })
    const first = guarded.consume('a', rules, 1)
    await timers.tickAsync(DEFAULT_STORE_TIMEOUT_MS / 2)
    expect(inner.calls()).toBe(0)
    connection.emit('ready', 'ready')
    expect(await first).toMatchObject({ allowed: true, remaining: 1 })
    expect((await first).degraded).toBeUndefined()

    const late = new GuardedStore(inner.store, { connection: fakeConnection('connecting'), logger: recordingLogger() })
    const second = late.consume('b', rules, 1)
    await timers.tickAsync(DEFAULT_STORE_TIMEOUT_MS)
    expect(await second).toMatchObject({ degraded: 'fallback' })
    expect(inner.calls()).toBe(1) // never sent after its deadline
  })

  it('rejects bad options with a clear error', () => {
    const inner = switchable()
    expect(() => new GuardedStore(inner.store, { timeoutMs: 0 })).toThrow(/timeoutMs must be a positive number/)
    expect(() => new GuardedStore(inner.store, { tripFailureRatio: -1 })).toThrow(/tripFailureRatio/)
  })
})
