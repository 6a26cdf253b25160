// Time as a dependency, so fake timers or a test clock can drive every time-based decision.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

/** Reads Date.now() at call time, so @sinonjs/fake-timers and vi.useFakeTimers() move it. */
export const systemClock: Clock = { now: () => Date.now() }
