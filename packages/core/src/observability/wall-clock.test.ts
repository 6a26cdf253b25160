// The log's time is what new Date(ms).toISOString() says, at every millisecond and across seconds in either direction.
import { describe, expect, it } from 'vitest'
import { isoAt, isoOf } from './wall-clock.js'

describe('isoOf', () => {
  it('formats like toISOString across milliseconds, seconds, days, years, before 1970 and back in time', () => {
    const starts = [
      Date.UTC(2026, 10, 30, 23, 59, 58, 990),
      Date.UTC(1969, 11, 31, 23, 59, 59, 500),
      Date.UTC(2024, 1, 29),
      0,
      253402300799000,
    ]
    for (const start of starts) {
      for (let ms = start; ms < start + 2_500; ms += 7) expect(isoOf(ms)).toBe(new Date(ms).toISOString())
      // Backwards (a clock step): each value still formats on its own.
      for (let ms = start + 2_500; ms > start - 1_500; ms -= 13) expect(isoOf(ms)).toBe(new Date(ms).toISOString())
    }
  })
})

describe('isoAt', () => {
  it('gives the wall-clock time of a performance.now() reading', () => {
    const before = Date.now()
    const iso = isoAt(performance.now())
    const after = Date.now()
    // Generous: the offset between the clocks is read once a second and may drift a little in between.
    expect(Date.parse(iso)).toBeGreaterThanOrEqual(before - 1_000)
    expect(Date.parse(iso)).toBeLessThanOrEqual(after + 1_000)
  })
})
