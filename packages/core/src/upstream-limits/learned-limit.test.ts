import { describe, expect, it } from 'vitest'
import { LearnedLimit } from './learned-limit.js'

describe('LearnedLimit', () => {
  it('spends what is left evenly over what is left of the window', () => {
    const learned = new LearnedLimit()
    expect(learned.rate).toBeUndefined()
    expect(learned.observe({ remaining: 50, resetAt: 10_000 }, 0)).toBeUndefined()
    expect(learned.rate).toBe(5)
  })

  it('ignores hints without both remaining and a future reset', () => {
    const learned = new LearnedLimit()
    learned.observe({ remaining: 5 }, 0)
    learned.observe({ remaining: 5, resetAt: 0 }, 0)
    expect(learned.rate).toBeUndefined()
  })

  it('keeps the lowest remaining of one window (responses arrive out of order) and pauses when it is spent', () => {
    const learned = new LearnedLimit()
    learned.observe({ remaining: 3, resetAt: 1_000 }, 0)
    learned.observe({ remaining: 5, resetAt: 1_000 }, 100) // an older response arriving late
    expect(learned.spend(1, 200)).toBeUndefined()
    expect(learned.spend(1, 300)).toBeUndefined()
    expect(learned.spend(1, 400)).toBe(1_000)
    // A new window starts over.
    learned.observe({ remaining: 10, resetAt: 2_000 }, 1_000)
    expect(learned.rate).toBe(10)
    expect(learned.spend(1, 1_100)).toBeUndefined()
  })

  it('Remaining 0 → pause until the reset', () => {
    expect(new LearnedLimit().observe({ remaining: 0, resetAt: 5_000 }, 0)).toBe(5_000)
  })
})
