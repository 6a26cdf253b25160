import { describe, expect, it } from 'vitest'
import { main } from './gateway.js'

describe('examples/third-party-api', () => {
  it('serves every worker, never over the API limit, with no 429 reaching a worker', async () => {
    const result = await main({ durationMs: 3_000 })
    const workers = Object.values(result.workers)
    expect(workers.map((w) => w.saw429)).toEqual([0, 0, 0, 0])
    expect(workers.map((w) => w.otherErrors)).toEqual([0, 0, 0, 0])
    expect(result.upstream.maxInOneWindow).toBeLessThanOrEqual(result.upstream.limitPerSecond)
    expect(result.upstream.accepted).toBeGreaterThanOrEqual(30)
    // Every worker got a fair share despite the greedy one running ten times the requests.
    for (const w of workers) expect(w.served / result.upstream.accepted).toBeGreaterThanOrEqual(0.15)
    expect(result.upstream.sent429).toBeLessThanOrEqual(1)
  })
})
