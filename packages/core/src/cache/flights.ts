// Coalesced misses: one request per key goes upstream while the others wait for what it stores.

/** What a coalesced miss's leader ended with, so that waiters know whether to look again or use a stale entry. */
export type FlightOutcome = 'stored' | 'not-stored' | 'upstream-failed' | 'timed-out'

/** Misses in flight, by the key their response will be stored at (or the URL's key while its Vary is unknown). */
export class Flights {
  readonly #inflight = new Map<string, Promise<FlightOutcome>>()
  #settled = 0

  /**
   * How many flights have settled so far. A request that read the store while one settled may hold the entry as it
   * was before that flight's write: it reads again rather than lead a second upstream request.
   */
  get settled(): number {
    return this.#settled
  }

  get(key: string): Promise<FlightOutcome> | undefined {
    return this.#inflight.get(key)
  }

  has(key: string): boolean {
    return this.#inflight.has(key)
  }

  /** Makes this request the one that goes upstream for `key`; the returned function settles the flight. */
  lead(key: string): (outcome: FlightOutcome) => void {
    let resolve: (outcome: FlightOutcome) => void = () => {}
    const flight = new Promise<FlightOutcome>((r) => {
      resolve = r
    })
    this.#inflight.set(key, flight)
    return (outcome) => {
      if (this.#inflight.get(key) === flight) this.#inflight.delete(key)
      this.#settled++
      resolve(outcome)
    }
  }
}

/** Waits for a flight, but never longer than `ms` (an upstream body that stalls must not hold every waiter). */
export const waitFor = (flight: Promise<FlightOutcome>, ms: number): Promise<FlightOutcome> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<FlightOutcome>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), ms)
    timer.unref()
  })
  return Promise.race([flight, timeout]).finally(() => clearTimeout(timer))
}
