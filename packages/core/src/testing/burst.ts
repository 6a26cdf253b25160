// Concurrent request bursts for tests that count what a gateway admits.
import { setMaxListeners } from 'node:events'
import { rawRequest } from './http-client.js'

export interface BurstResult {
  /** Status of each request in send order; 0 for a request still open after `stuckMs` (aborted). */
  statuses: number[]
  /** Wall time from the first request sent to the last answer, in ms. */
  ms: number
}

/**
 * Sends `n` requests at once, spread round-robin over `urls`; a request still open after `stuckMs` (default
 * 5 000) is aborted and counted as status 0.
 * @example
 * const { statuses } = await burst([a.url, b.url], 300, '/api', { headers: { 'x-run': '7' } })
 */
export const burst = async (
  urls: readonly string[],
  n: number,
  path: string,
  options: { headers?: Record<string, string>; stuckMs?: number } = {},
): Promise<BurstResult> => {
  const stuck = new AbortController()
  setMaxListeners(n + 10, stuck.signal) // one signal shared by the whole burst
  const timer = setTimeout(() => stuck.abort(), options.stuckMs ?? 5_000)
  const started = performance.now()
  try {
    const statuses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        rawRequest(urls[i % urls.length]!, path, { headers: options.headers, signal: stuck.signal }).then(
          (res) => res.status,
          () => 0,
        ),
      ),
    )
    return { statuses, ms: performance.now() - started }
  } finally {
    clearTimeout(timer)
  }
}

/** How many of `statuses` are `status`. */
export const countStatus = (statuses: readonly number[], status: number): number => statuses.filter((s) => s === status).length
