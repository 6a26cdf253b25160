// Steady request load across gateways while a test breaks their store, and waits on the stores' status (tests only).
import type { APIGateway } from '../gateway.js'
import { rawRequest } from './http-client.js'

export interface LoadSample {
  /** performance.now() when the request was sent. */
  at: number
  ms: number
  /** 0 when the request failed or was still open after `stuckMs`. */
  status: number
}

export interface Load {
  /** Lets the load run for `ms`. */
  settle(ms: number): Promise<void>
  /** Stops sending, waits for the requests in flight, and returns every sample. */
  stop(): Promise<LoadSample[]>
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * `workers` loops, each sending one request at a time, round-robin over `urls`, until stop().
 * @example
 * const load = runLoad([a.url, b.url], '/api', { 'x-run': 'load' })
 * await load.settle(300); await redis.stop(); const samples = await load.stop()
 */
export const runLoad = (
  urls: readonly string[],
  path: string,
  headers: Record<string, string>,
  options: { workers?: number; stuckMs?: number } = {},
): Load => {
  const { workers = 8, stuckMs = 10_000 } = options
  const samples: LoadSample[] = []
  let running = true
  const worker = async (id: number) => {
    for (let i = id; running; i++) {
      const at = performance.now()
      const status = await rawRequest(urls[i % urls.length]!, path, { headers, signal: AbortSignal.timeout(stuckMs) }).then(
        (res) => res.status,
        () => 0,
      )
      samples.push({ at, ms: performance.now() - at, status })
      await sleep(5)
    }
  }
  const loops = Array.from({ length: workers }, (_, id) => worker(id))
  return {
    settle: sleep,
    async stop() {
      running = false
      await Promise.all(loops)
      return samples
    },
  }
}

export interface GuardStats {
  status: 'up' | 'down'
  failures: number
  fallbackDecisions: number
}

/** The gateway's shared rate-limit store as /_health reports it. */
export const storeStatus = (gateway: APIGateway): GuardStats =>
  (gateway.health() as { stores: { rate_limit: GuardStats } }).stores.rate_limit

/** Resolves once every gateway's store reports `status`; rejects after `timeoutMs`. */
export const untilStore = async (gateways: readonly APIGateway[], status: 'up' | 'down', timeoutMs: number): Promise<void> => {
  const deadline = performance.now() + timeoutMs
  while (gateways.some((g) => storeStatus(g).status !== status)) {
    if (performance.now() > deadline) throw new Error(`the gateways' stores were not ${status} within ${timeoutMs} ms`)
    await sleep(10)
  }
}
