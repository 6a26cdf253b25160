import { describe, expect, it } from 'vitest'
import { contentionMs, newPaceState, pace, paceRule, paceWindowMs, type PaceRule } from './pacing.js'

/** The most sends in any half-open window of `lengthMs` starting at a send. */
const maxInWindow = (sends: readonly number[], lengthMs: number): number => {
  let most = 0
  for (let i = 0, j = 0; i < sends.length; i++) {
    while (j < sends.length && (sends[j] as number) < (sends[i] as number) + lengthMs) j++
    most = Math.max(most, j - i)
  }
  return most
}

/** Drives pace() with a demand: at each step the next caller asks, waiting out what pace() answers. */
const simulate = (rule: PaceRule, callers: readonly string[], count: number, othersWaiting: boolean, gapMs = 0): number[] => {
  const state = newPaceState()
  const sends: number[] = []
  let now = 0
  for (let i = 0; i < count; i++) {
    const caller = callers[i % callers.length] as string
    for (let wait = pace(state, rule, 1, caller, now, othersWaiting); wait > 0; wait = pace(state, rule, 1, caller, now, othersWaiting)) {
      now += wait
    }
    sends.push(now)
    now += gapMs
  }
  return sends
}

describe('paceRule', () => {
  it('bursts a configured second, and cuts a burst to what keeps every window within its count', () => {
    expect(paceRule(10, { requestsPerSecond: 10 }, true)).toEqual({ intervalMs: 100, burst: 10, guardMs: 50 })
    // Decided in Redis: a wider guard for the reply's delay.
    expect(paceRule(10, { requestsPerSecond: 10 }, true, true).guardMs).toBe(100)
    // burstSize 4 at 10/s: windows of 400 ms could put 3 × 4 = 12 sends in one second; 2 divides 10.
    expect(paceRule(10, { requestsPerSecond: 10, burstSize: 4 }, true).burst).toBe(2)
    expect(paceRule(0.5, { requestsPerMinute: 30 }, true).burst).toBe(1)
    // Learned or adaptive rates never burst: nothing says how large a burst the upstream takes.
    expect(paceRule(10, { requestsPerSecond: 10 }, false).burst).toBe(1)
    expect(paceRule(1e7, { requestsPerSecond: 1e7, burstSize: 1e7 }, true).burst).toBe(1_000)
  })
})

describe('pace', () => {
  it('a lone caller bursts the budget, then waits for the window: never more than 10 in any second (10/s)', () => {
    const rule = paceRule(10, { requestsPerSecond: 10 }, true)
    const sends = simulate(rule, ['a'], 40, false)
    expect(sends.slice(0, 10)).toEqual(Array(10).fill(0))
    expect(sends[10]).toBe(paceWindowMs(rule))
    expect(maxInWindow(sends, 1_000)).toBe(10)
  })

  it('competing callers get one slot every interval, never a burst', () => {
    const rule = paceRule(10, { requestsPerSecond: 10 }, true)
    const sends = simulate(rule, ['a', 'b'], 30, true)
    for (let i = 1; i < sends.length; i++) expect((sends[i] as number) - (sends[i - 1] as number)).toBeGreaterThanOrEqual(100)
    expect(maxInWindow(sends, 1_000)).toBeLessThanOrEqual(10)
  })

  it('two different callers served back to back count as competing for a while, even with nothing queued', () => {
    const rule = paceRule(10, { requestsPerSecond: 10 }, true)
    const state = newPaceState()
    expect(pace(state, rule, 1, 'a', 0, false)).toBe(0)
    expect(pace(state, rule, 1, 'b', 0, false)).toBe(0) // a second caller: allowed, but from now on paced
    expect(pace(state, rule, 1, 'a', 0, false)).toBeCloseTo(200)
    expect(pace(state, rule, 1, 'a', 200, false)).toBe(0)
    // Long after, a lone caller may burst again.
    const later = 200 + contentionMs(rule) + 1
    expect(pace(state, rule, 1, 'a', later, false)).toBe(0)
    expect(pace(state, rule, 1, 'a', later, false)).toBe(0)
  })

  it('holds every configured window for any mix of callers, gaps and budgets (per second, minute, hour)', () => {
    const budgets = [
      { requestsPerSecond: 10 },
      { requestsPerSecond: 7, burstSize: 3 },
      { requestsPerMinute: 90 },
      { requestsPerSecond: 10, requestsPerMinute: 500 },
      { requestsPerHour: 5_000, burstSize: 20 },
    ]
    let seed = 7
    const random = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647
    }
    for (const budget of budgets) {
      const rate = Math.min(
        budget.requestsPerSecond ?? Number.POSITIVE_INFINITY,
        (budget.requestsPerMinute ?? Number.POSITIVE_INFINITY) / 60,
        (budget.requestsPerHour ?? Number.POSITIVE_INFINITY) / 3600,
      )
      const rule = paceRule(rate, budget, true)
      const state = newPaceState()
      const sends: number[] = []
      let now = 0
      for (let i = 0; i < 3_000; i++) {
        const caller = random() < 0.7 ? 'greedy' : `c${Math.floor(random() * 5)}`
        const others = random() < 0.5
        for (let wait = pace(state, rule, 1, caller, now, others); wait > 0; wait = pace(state, rule, 1, caller, now, others)) now += wait
        sends.push(now)
        if (random() < 0.1) now += random() * 3 * rule.burst * rule.intervalMs
      }
      if (budget.requestsPerSecond) expect(maxInWindow(sends, 1_000)).toBeLessThanOrEqual(budget.requestsPerSecond)
      if (budget.requestsPerMinute) expect(maxInWindow(sends, 60_000)).toBeLessThanOrEqual(budget.requestsPerMinute)
      if (budget.requestsPerHour) expect(maxInWindow(sends, 3_600_000)).toBeLessThanOrEqual(budget.requestsPerHour)
    }
  })
})
