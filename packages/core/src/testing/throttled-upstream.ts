// A mock third-party API that throttles its callers: a fixed window, 429 past it, and counts of what it did.
import { startMockUpstream, type MockUpstream } from './mock-upstream.js'

export interface ThrottledUpstreamOptions {
  /** Requests admitted per window. */
  limit: number
  /** Window length in ms, aligned to the epoch. Default 1 000. */
  windowMs?: number
  /** How it says "slow down": `Retry-After` on the 429 (default), or only `X-RateLimit-*` on every answer. */
  mode?: 'retry-after' | 'x-ratelimit'
}

export interface ThrottleStats {
  admitted: number
  rejected: number
  /** The most requests admitted within one window (≤ limit unless something over-sent). */
  maxInWindow: number
  /** Admitted requests by the caller named in `x-caller`. */
  byCaller: Map<string, number>
  arrivals: Array<{ caller: string; at: number }>
}

/**
 * Starts a throttling upstream on 127.0.0.1:0.
 * @example
 * const { upstream, stats } = await startThrottledUpstream({ limit: 20 })
 * gateway.registerRoute('/api', upstream.url, { upstreamLimit: { requestsPerSecond: 16 } })
 */
export const startThrottledUpstream = async (
  options: ThrottledUpstreamOptions,
): Promise<{ upstream: MockUpstream; stats: ThrottleStats }> => {
  const { limit, windowMs = 1_000, mode = 'retry-after' } = options
  const stats: ThrottleStats = { admitted: 0, rejected: 0, maxInWindow: 0, byCaller: new Map(), arrivals: [] }
  let windowStart = 0
  let used = 0
  const upstream = await startMockUpstream({
    handler: (req, res) => {
      const now = Date.now()
      const start = now - (now % windowMs)
      if (start !== windowStart) {
        windowStart = start
        used = 0
      }
      const resetAt = start + windowMs
      const rateHeaders = (remaining: number) => ({
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(resetAt / 1000),
      })
      if (used >= limit) {
        stats.rejected++
        const hint = mode === 'retry-after' ? { 'retry-after': String(Math.max(1, Math.ceil((resetAt - now) / 1000))) } : rateHeaders(0)
        res.writeHead(429, { 'content-type': 'application/json', ...hint })
        res.end('{"error":"rate limited"}')
        return true
      }
      used++
      stats.admitted++
      stats.maxInWindow = Math.max(stats.maxInWindow, used)
      const caller = String(req.headers['x-caller'] ?? '')
      stats.byCaller.set(caller, (stats.byCaller.get(caller) ?? 0) + 1)
      stats.arrivals.push({ caller, at: now })
      res.writeHead(200, { 'content-type': 'application/json', ...(mode === 'x-ratelimit' ? rateHeaders(limit - used) : {}) })
      res.end(JSON.stringify({ ok: true, n: stats.admitted }))
      return true
    },
  })
  return { upstream, stats }
}
