import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Drain } from './drain.js'

beforeEach(() => void vi.useFakeTimers())
afterEach(() => void vi.useRealTimers())

const settled = (promise: Promise<unknown>) => {
  const state = { done: false }
  void promise.then(() => (state.done = true))
  return state
}

describe('Drain', () => {
  it('is draining at once and resolves only when the delay has passed; a second begin() shares the first delay', async () => {
    const drain = new Drain()
    expect(drain.draining).toBe(false)
    const first = settled(drain.begin(5_000))
    expect(drain.draining).toBe(true)
    await vi.advanceTimersByTimeAsync(3_000)
    const second = settled(drain.begin(60_000))
    await vi.advanceTimersByTimeAsync(1_999)
    expect([first.done, second.done]).toEqual([false, false])
    await vi.advanceTimersByTimeAsync(1)
    expect([first.done, second.done]).toEqual([true, true])
    expect(drain.draining).toBe(true)
  })

  it('skip() ends the delay early but stays draining; reset() serves again', async () => {
    const drain = new Drain()
    const waiting = settled(drain.begin(5_000))
    drain.skip()
    await vi.advanceTimersByTimeAsync(0)
    expect(waiting.done).toBe(true)
    expect(drain.draining).toBe(true)
    drain.reset()
    expect(drain.draining).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a zero delay resolves on the next timer tick', async () => {
    const drain = new Drain()
    const waiting = settled(drain.begin(0))
    await vi.advanceTimersByTimeAsync(0)
    expect(waiting.done).toBe(true)
  })
})
