import { describe, expect, it } from 'vitest'
import type { Clock } from '../clock.js'
import { CircuitBreaker, CircuitBreakerRegistry } from './circuit-breaker.js'

const manualClock = () => {
  let now = 1_000_000
  const clock: Clock = { now: () => now }
  return { clock, advance: (ms: number) => void (now += ms) }
}

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures and rejects while open', () => {
    const { clock } = manualClock()
    const breaker = new CircuitBreaker({ failureThreshold: 3 }, clock)
    breaker.onFailure()
    breaker.onFailure()
    breaker.onSuccess() // a success resets the consecutive count
    breaker.onFailure()
    breaker.onFailure()
    expect(breaker.state).toBe('CLOSED')
    breaker.onFailure()
    expect(breaker.state).toBe('OPEN')
    expect(breaker.tryAcquire()).toBe(false)
  })

  it('half-opens after recoveryTimeoutMs, allows a bounded number of probes, closes after successThreshold', () => {
    const { clock, advance } = manualClock()
    const transitions: string[] = []
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 1_000, successThreshold: 2, halfOpenMaxProbes: 1 }, clock)
    breaker.onStateChange = (from, to) => transitions.push(`${from}>${to}`)
    breaker.onFailure()
    advance(999)
    expect(breaker.state).toBe('OPEN')
    expect(breaker.retryAfterMs()).toBe(1)
    advance(1)
    expect(breaker.state).toBe('HALF_OPEN')
    expect(breaker.tryAcquire()).toBe(true)
    expect(breaker.tryAcquire()).toBe(false) // only one probe at a time
    breaker.onSuccess()
    expect(breaker.state).toBe('HALF_OPEN')
    expect(breaker.tryAcquire()).toBe(true)
    breaker.onSuccess()
    expect(breaker.state).toBe('CLOSED')
    expect(transitions).toEqual(['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED'])
  })

  it('goes back to OPEN on a failure in HALF_OPEN and restarts the recovery timer', () => {
    const { clock, advance } = manualClock()
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 500 }, clock)
    breaker.onFailure()
    advance(500)
    expect(breaker.tryAcquire()).toBe(true)
    breaker.onFailure()
    expect(breaker.state).toBe('OPEN')
    expect(breaker.retryAfterMs()).toBe(500)
  })

  it('releases a probe slot when the probe ends without an outcome', () => {
    const { clock, advance } = manualClock()
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 10 }, clock)
    breaker.onFailure()
    advance(10)
    expect(breaker.tryAcquire()).toBe(true)
    expect(breaker.isAvailable()).toBe(false)
    breaker.release()
    expect(breaker.isAvailable()).toBe(true)
  })
})

it('closes at once on reset()', () => {
  const breaker = new CircuitBreaker({ failureThreshold: 1 }, manualClock().clock)
  breaker.onFailure()
  breaker.reset()
  expect([breaker.state, breaker.failures, breaker.tryAcquire()]).toEqual(['CLOSED', 0, true])
})

describe('CircuitBreakerRegistry', () => {
  it('keeps one breaker per origin and reports snapshots', () => {
    const registry = new CircuitBreakerRegistry(manualClock().clock)
    const a = registry.get('http://a:1', { failureThreshold: 1 })
    expect(registry.get('http://a:1')).toBe(a)
    a.onFailure()
    registry.get('http://b:2')
    expect(registry.snapshot()).toMatchObject({ 'http://a:1': { state: 'OPEN', failures: 1 }, 'http://b:2': { state: 'CLOSED' } })
  })
})
