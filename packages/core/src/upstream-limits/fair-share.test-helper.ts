// Test helper: the fair-share check both upstream-limit test files make on what a throttled upstream received.
import { expect } from 'vitest'

export interface Arrival {
  caller: string
  at: number
}

/**
 * From the moment every polite caller has reached the upstream, each got at least `minShare` of what it admitted
 * (the greedy caller cannot starve them while all are active).
 */
export const expectFairShares = (arrivals: readonly Arrival[], polite: readonly string[], minShare = 0.3, minActive = 15): void => {
  const since = Math.max(...polite.map((id) => arrivals.find((a) => a.caller === id)!.at))
  const active = arrivals.filter((a) => a.at >= since)
  expect(active.length).toBeGreaterThanOrEqual(minActive)
  for (const id of polite) expect(active.filter((a) => a.caller === id).length / active.length).toBeGreaterThanOrEqual(minShare)
}
