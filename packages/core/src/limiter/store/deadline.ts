// A deadline on a store call that measures the store, not the event loop.
import { StoreError } from './store-error.js'

/**
 * Default deadline of every store call (rate limits, keys, cache, upstream-limit state), in ms; `storeTimeoutMs`
 * changes it. Measured with bench/suites/decision-latency.ts (300 concurrent decisions, real Redis, 2 cores, a CPU
 * hog, the box shared at load 9–13): p99.9 inside 3 gateways 135–336 ms, max 448 ms, none of 42 000 over 500 ms.
 * Those figures include event-loop time after the answer arrived, which the deadline does not count.
 */
export const DEFAULT_STORE_TIMEOUT_MS = 500

/** The store did not answer within its deadline. */
export class StoreTimeoutError extends StoreError {}

/**
 * Settles with `promise`, or rejects with StoreTimeoutError when it has not settled `timeoutMs` after the call.
 * When the timer fires, the verdict waits one `setImmediate`: timers run before I/O callbacks in a loop turn, so
 * an answer already sitting in the socket is read (and wins) before the call is declared late.
 * @example
 * const value = await withStoreDeadline(redis.get(key), 250, 'cache store')
 */
export const withStoreDeadline = <T>(promise: Promise<T>, timeoutMs: number, name = 'store'): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return
        settled = true
        reject(new StoreTimeoutError(`${name} did not answer within ${timeoutMs} ms`))
      })
    }, timeoutMs)
    promise.then(
      (value) => {
        clearTimeout(timer)
        if (settled) return
        settled = true
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        if (settled) return
        settled = true
        reject(error)
      },
    )
  })
