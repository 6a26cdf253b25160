import { describe, expect, it } from 'vitest'
import { AIMDController } from './aimd.js'

describe('AIMDController', () => {
  it('starts at maxRate by default, or the initial rate within bounds', () => {
    expect(new AIMDController({ maxRate: 8 }).rate).toBe(8)
    expect(new AIMDController({ minRate: 1, maxRate: 8 }, 0.2).rate).toBe(1)
  })

  it('increases additively once per successful interval', () => {
    const aimd = new AIMDController({ increase: 0.5, maxRate: 100, intervalMs: 1_000, slowStart: false }, 2)
    aimd.onSuccess(0)
    aimd.onSuccess(500)
    expect(aimd.rate).toBe(2)
    aimd.onSuccess(1_000)
    expect(aimd.rate).toBe(2.5)
    aimd.onSuccess(1_100)
    expect(aimd.rate).toBe(2.5)
    aimd.onSuccess(2_000)
    expect(aimd.rate).toBe(3)
  })

  it('slow start doubles until the first throttle, then adds', () => {
    const aimd = new AIMDController({ increase: 1, maxRate: 100 }, 1)
    for (let t = 0; t <= 3_000; t += 1_000) aimd.onSuccess(t)
    expect(aimd.rate).toBe(8)
    aimd.onThrottle(3_500)
    expect(aimd.rate).toBe(4)
    aimd.onSuccess(4_500)
    expect(aimd.rate).toBe(5)
  })

  it('decreases multiplicatively, once per episode for a burst of throttles', () => {
    const aimd = new AIMDController({ decrease: 0.5, minRate: 0.1, maxRate: 100, episodeMs: 1_000 }, 16)
    expect(aimd.onThrottle(0)).toBe(true)
    for (let t = 10; t < 500; t += 10) expect(aimd.onThrottle(t)).toBe(false)
    expect(aimd.rate).toBe(8)
    expect(aimd.throttles).toBe(50)
    expect(aimd.onThrottle(1_000)).toBe(true)
    expect(aimd.rate).toBe(4)
  })

  it('never leaves [minRate, maxRate]', () => {
    const aimd = new AIMDController({ decrease: 0.9, minRate: 0.5, maxRate: 3, increase: 1, episodeMs: 0, slowStart: false }, 3)
    for (let t = 0; t < 10; t++) aimd.onThrottle(t)
    expect(aimd.rate).toBe(0.5)
    for (let t = 0; t < 20_000; t += 1_000) aimd.onSuccess(t)
    expect(aimd.rate).toBe(3)
  })

  it('converges around an unknown capacity with few throttled intervals', () => {
    const capacity = 12 // requests/s the simulated upstream accepts
    const aimd = new AIMDController({ increase: 0.5, decrease: 0.5, minRate: 0.1, maxRate: 100, intervalMs: 1_000 }, 1)
    let throttledSeconds = 0
    const rates: number[] = []
    for (let second = 0; second < 300; second++) {
      const now = second * 1_000
      if (aimd.rate > capacity) {
        aimd.onThrottle(now)
        if (second >= 60) throttledSeconds++
      } else aimd.onSuccess(now)
      if (second >= 60) rates.push(aimd.rate)
    }
    // After the first minute it stays within (capacity × (1 − decrease), capacity + increase].
    expect(Math.min(...rates)).toBeGreaterThanOrEqual(capacity / 2)
    expect(Math.max(...rates)).toBeLessThanOrEqual(capacity + 0.5)
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length
    expect(mean).toBeGreaterThan(capacity * 0.65)
    expect(throttledSeconds / rates.length).toBeLessThan(0.1)
  })
})
