// A throttled third-party API shared by several workers: they queue at the gateway instead of meeting 429s, and the
// greedy one cannot starve the rest. Run it: pnpm exec tsx examples/third-party-api/gateway.ts
import { pathToFileURL } from 'node:url'
import { APIGateway } from '@tollgate/core'
import { startThrottledUpstream } from '@tollgate/core/testing'

export interface WorkerFigures {
  /** Requests in flight at once: the greedy worker runs ten times as many as the others. */
  concurrency: number
  served: number
  requestsPerSecond: number
  /** 429s this worker saw: the gateway retries throttles and paces sends, so none should reach it. */
  saw429: number
  /** Any other non-200 answer (e.g. a 503 upstream_queue_timeout). */
  otherErrors: number
}

export interface ThirdPartyExampleResult {
  durationMs: number
  workers: Record<string, WorkerFigures>
  upstream: {
    limitPerSecond: number
    /** Requests the API processed, and the most it processed in one of its 1-second windows. */
    accepted: number
    maxInOneWindow: number
    /** 429s the API sent (each one was retried by the gateway after its Retry-After). */
    sent429: number
  }
  /** Throttles the gateway saw, from gateway.upstreamStatus(). */
  gatewayThrottles: number
}

export async function main(options: { durationMs?: number } = {}): Promise<ThirdPartyExampleResult> {
  const durationMs = options.durationMs ?? 3_000
  const LIMIT = 20
  // The "third-party" API: 20 requests per fixed 1-second window; past that, 429 with Retry-After.
  const { upstream, stats } = await startThrottledUpstream({ limit: LIMIT, windowMs: 1_000 })

  const gateway = new APIGateway().registerRoute('/thirdparty', upstream.url, {
    upstreamLimit: {
      // A little under the API's 20/s, for headroom: Tollgate never sends more than 16 in any 1 s window, one at a
      // time while workers compete (a lone worker may send 2 at once).
      requestsPerSecond: 16,
      burstSize: 2,
      callerHeader: 'x-worker', // each worker is one caller with an equal share
      maxWaitMs: 10_000, // beyond this a request gets 503 upstream_queue_timeout instead of waiting
    },
  })
  const { url } = await gateway.start({ port: 0 })

  const plan = { 'worker-1': 2, 'worker-2': 2, 'worker-3': 2, greedy: 20 }
  const workers: Record<string, WorkerFigures> = {}
  const stop = AbortSignal.timeout(durationMs) // when it fires, requests still queued are dropped, never sent
  const started = Date.now()
  try {
    await Promise.all(
      Object.entries(plan).map(async ([name, concurrency]) => {
        const figures: WorkerFigures = { concurrency, served: 0, requestsPerSecond: 0, saw429: 0, otherErrors: 0 }
        workers[name] = figures
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (!stop.aborted) {
              try {
                const response = await fetch(`${url}/thirdparty/items`, { headers: { 'x-worker': name }, signal: stop })
                await response.arrayBuffer()
                if (response.status === 200) figures.served++
                else if (response.status === 429) figures.saw429++
                else figures.otherErrors++
              } catch {
                return // the run is over
              }
            }
          }),
        )
      }),
    )
    const elapsedS = (Date.now() - started) / 1000
    for (const figures of Object.values(workers)) figures.requestsPerSecond = Math.round((figures.served / elapsedS) * 10) / 10
    const gatewayThrottles = gateway.upstreamStatus().reduce((sum, s) => sum + s.throttles, 0)
    const api = { accepted: stats.admitted, maxInOneWindow: stats.maxInWindow, sent429: stats.rejected }
    return { durationMs, workers, upstream: { limitPerSecond: LIMIT, ...api }, gatewayThrottles }
  } finally {
    await gateway.stop()
    await upstream.close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main()
  console.table(result.workers)
  const saw429 = Object.values(result.workers).reduce((sum, w) => sum + w.saw429, 0)
  console.log(`429s seen by workers: ${saw429}`)
  console.log(
    `upstream: ${result.upstream.accepted} accepted, at most ${result.upstream.maxInOneWindow}/window (limit ${result.upstream.limitPerSecond}), ${result.upstream.sent429} 429s sent`,
  )
}
