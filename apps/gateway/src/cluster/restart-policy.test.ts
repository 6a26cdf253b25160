import { describe, expect, it } from 'vitest'
import { RestartPolicy } from './restart-policy.js'

describe('RestartPolicy', () => {
  it('defaults: doubles the delay per fast crash and gives up at the fifth in a row', () => {
    const policy = new RestartPolicy()
    const decisions = [1, 2, 3, 4, 5].map(() => policy.onExit(0, 500))
    expect(decisions).toEqual([
      { restart: true, delayMs: 100 },
      { restart: true, delayMs: 200 },
      { restart: true, delayMs: 400 },
      { restart: true, delayMs: 800 },
      { restart: false, fastCrashes: 5 },
    ])
  })

  it('a worker that ran past fastCrashMs starts its count over; slots count apart', () => {
    const policy = new RestartPolicy({ fastCrashMs: 1_000, maxFastCrashes: 3 })
    policy.onExit(0, 10)
    policy.onExit(0, 10)
    expect(policy.onExit(1, 10)).toEqual({ restart: true, delayMs: 100 })
    expect(policy.onExit(0, 60_000)).toEqual({ restart: true, delayMs: 100 })
    expect(policy.onExit(0, 10)).toEqual({ restart: true, delayMs: 100 })
    expect(policy.onExit(0, 10)).toEqual({ restart: true, delayMs: 200 })
    expect(policy.onExit(0, 10)).toEqual({ restart: false, fastCrashes: 3 })
  })

  it('caps the delay at maxDelayMs', () => {
    const policy = new RestartPolicy({ maxFastCrashes: 100, maxDelayMs: 1_000 })
    const delays = Array.from({ length: 8 }, () => policy.onExit(0, 0)).map((d) => (d.restart ? d.delayMs : -1))
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000])
  })
})
