import { afterEach, describe, expect, it, vi } from 'vitest'
import { FairQueue, type QueueEntry } from './fair-queue.js'

const entry = (callerId: string, cost = 1, weight = 1, enqueuedAt = 0): QueueEntry => ({ callerId, cost, weight, enqueuedAt })

const drain = (queue: FairQueue<QueueEntry>, n: number): string[] => {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const next = queue.next()
    if (!next) break
    out.push(next.callerId)
  }
  return out
}

describe('FairQueue', () => {
  it('a caller with 1 000 queued cannot starve one with 1', () => {
    const queue = new FairQueue<QueueEntry>({ maxQueueLength: 2_000 })
    for (let i = 0; i < 1_000; i++) queue.push(entry('greedy'))
    expect(drain(queue, 3)).toEqual(['greedy', 'greedy', 'greedy'])
    queue.push(entry('polite'))
    expect(drain(queue, 2)).toContain('polite')
    expect(queue.length).toBe(1_000 - 3 - 1)
  })

  it('alternates between equally weighted callers', () => {
    const queue = new FairQueue<QueueEntry>()
    for (let i = 0; i < 10; i++) queue.push(entry('a'))
    for (let i = 0; i < 10; i++) queue.push(entry('b'))
    expect(drain(queue, 6)).toEqual(['a', 'b', 'a', 'b', 'a', 'b'])
  })

  it('serves by cost: a caller sending cost-5 requests gets the same units as one sending cost 1', () => {
    const queue = new FairQueue<QueueEntry>()
    for (let i = 0; i < 100; i++) queue.push(entry('heavy', 5))
    for (let i = 0; i < 100; i++) queue.push(entry('light', 1))
    const units = { heavy: 0, light: 0 }
    for (let i = 0; i < 60; i++) {
      const next = queue.next()!
      units[next.callerId as 'heavy' | 'light'] += next.cost
    }
    expect(Math.abs(units.heavy - units.light)).toBeLessThanOrEqual(5)
  })

  it('weights shares: weight 3 gets three times weight 1', () => {
    const queue = new FairQueue<QueueEntry>()
    for (let i = 0; i < 100; i++) queue.push(entry('gold', 1, 3))
    for (let i = 0; i < 100; i++) queue.push(entry('free', 1, 1))
    const served = drain(queue, 80)
    expect(served.filter((id) => id === 'gold').length).toBe(60)
    expect(served.filter((id) => id === 'free').length).toBe(20)
  })

  it('a fractional weight still gets served (no starvation)', () => {
    const queue = new FairQueue<QueueEntry>()
    for (let i = 0; i < 100; i++) queue.push(entry('big', 1, 1))
    queue.push(entry('tiny', 1, 0.1))
    expect(drain(queue, 12)).toContain('tiny')
  })

  it('removes an entry (aborted) and keeps the rotation consistent', () => {
    const queue = new FairQueue<QueueEntry>()
    const a1 = entry('a')
    const b1 = entry('b')
    queue.push(a1)
    queue.push(b1)
    queue.push(entry('c'))
    expect(queue.remove(b1)).toBe(true)
    expect(queue.remove(b1)).toBe(false)
    expect(drain(queue, 5)).toEqual(['a', 'c'])
    expect(queue.length).toBe(0)
    expect(queue.queuedCost).toBe(0)
  })

  it('bounds the queue length', () => {
    const queue = new FairQueue<QueueEntry>({ maxQueueLength: 2 })
    expect(queue.push(entry('a'))).toBe(true)
    expect(queue.push(entry('b'))).toBe(true)
    expect(queue.full).toBe(true)
    expect(queue.push(entry('c'))).toBe(false)
  })

  it('predicts units ahead from the round-robin, not the raw queue', () => {
    const queue = new FairQueue<QueueEntry>()
    for (let i = 0; i < 100; i++) queue.push(entry('greedy'))
    queue.push(entry('other'))
    // A new polite request: its own 1 unit + 1 from greedy + 1 from other.
    expect(queue.unitsAhead('polite', 1, 1)).toBe(3)
    // The greedy caller's next request waits behind its whole backlog plus the others' share.
    expect(queue.unitsAhead('greedy', 1, 1)).toBe(101 + 1)
    const last = entry('other')
    queue.push(last)
    expect(queue.unitsAheadOf(last)).toBe(2 + 2)
  })

  it('FIFO when fairShare is off', () => {
    const queue = new FairQueue<QueueEntry>({ fairShare: false })
    for (let i = 0; i < 3; i++) queue.push(entry('a'))
    queue.push(entry('b'))
    expect(drain(queue, 4)).toEqual(['a', 'a', 'a', 'b'])
    expect(queue.unitsAhead('b', 1, 1)).toBe(1)
  })

  it('reports shares, waits and drops idle callers after the window', () => {
    const queue = new FairQueue<QueueEntry>({ idleMs: 1_000 })
    queue.push(entry('a', 1, 2, 0))
    queue.push(entry('b', 1, 1, 0))
    expect(queue.shareOf('a', 2, 0)).toBeCloseTo(2 / 3)
    expect(queue.shareOf('new', 1, 0)).toBeCloseTo(1 / 4)
    queue.next()
    queue.recordServed('a', 40, 10)
    queue.next()
    queue.recordServed('b', 80, 20)
    for (let i = 0; i < 99; i++) queue.recordServed('b', 10, 20)
    const stats = queue.stats(500)
    expect(stats.find((s) => s.callerId === 'a')).toMatchObject({ share: 2 / 3, queued: 0, served: 1, waitP50Ms: 40, waitP99Ms: 40 })
    expect(stats.find((s) => s.callerId === 'b')).toMatchObject({ served: 100, waitP50Ms: 10, waitP99Ms: 10 })
    expect(queue.stats(1_011).map((s) => s.callerId)).toEqual(['b'])
    expect(queue.stats(1_021)).toEqual([])
  })

  it('tracks at most maxCallers: 100 000 distinct callers (a rotating User-Agent) leave ≤ the cap', () => {
    const queue = new FairQueue<QueueEntry>({ maxCallers: 5_000 })
    for (let i = 0; i < 100_000; i++) {
      queue.push(entry(`ua-${i}`, 1, 1, i))
      const next = queue.next()!
      queue.recordServed(next.callerId, 0, i)
    }
    expect(queue.trackedCallers).toBeLessThanOrEqual(5_000)
    // Callers with something queued are never the ones forgotten.
    const waiting = entry('waiting', 1, 1, 100_000)
    queue.push(waiting)
    for (let i = 0; i < 10_000; i++) queue.shareOf(`other-${i}`, 1, 100_001 + i) // (shareOf does not track)
    for (let i = 0; i < 10_000; i++) queue.recordServed(`x-${i}`, 0, 110_001)
    expect(queue.queuedOf('waiting')).toBe(1)
    expect(queue.next()).toBe(waiting)
    expect(queue.trackedCallers).toBeLessThanOrEqual(5_000)
  })

  describe('work per request does not grow with the callers tracked', () => {
    afterEach(() => vi.restoreAllMocks())

    /** Counts the steps taken over every Map's values() while `fn` runs (sweeps, evictions, shares). */
    const countMapSteps = (fn: () => void): number => {
      let steps = 0
      const values = Map.prototype.values
      vi.spyOn(Map.prototype, 'values').mockImplementation(function (this: Map<unknown, unknown>) {
        const inner = values.call(this)
        return {
          next: () => {
            steps++
            return inner.next()
          },
          [Symbol.iterator]() {
            return this
          },
        } as MapIterator<unknown>
      })
      try {
        fn()
      } finally {
        vi.restoreAllMocks()
      }
      return steps
    }

    const requests = (queue: FairQueue<QueueEntry>, callers: number, from: number): void => {
      for (let i = 0; i < 1_000; i++) {
        const now = from + i
        const caller = `c${i % callers}`
        queue.unitsAhead(caller, 1, 1)
        queue.push(entry(caller, 1, 1, now))
        queue.shareOf(caller, 1, now)
        const next = queue.next()!
        queue.recordServed(next.callerId, 1, now)
        queue.shareOf(next.callerId, 1, now)
      }
    }

    it('1 000 requests among 5 or among 10 000 active callers take the same bounded number of steps', () => {
      const few = new FairQueue<QueueEntry>({ maxQueueLength: 20_000 })
      const many = new FairQueue<QueueEntry>({ maxQueueLength: 20_000 })
      // 10 000 callers active (seen within idleMs), 500 of them with a request still queued.
      for (let i = 0; i < 10_000; i++) many.push(entry(`c${i}`, 1, 1, 0))
      for (let i = 0; i < 9_500; i++) many.next()
      const fewSteps = countMapSteps(() => requests(few, 5, 1))
      const manySteps = countMapSteps(() => requests(many, 10_000, 1))
      // The old bookkeeping walked every active caller per share: ≥ 10 000 steps per request.
      expect(manySteps).toBeLessThanOrEqual(4 * 1_000)
      expect(manySteps).toBeLessThanOrEqual(fewSteps + 2 * 1_000)
    })
  })
})
