// A gateway with every capability in use (rate limits, cache, upstream limits, API keys, a breaker to trip), for
// tests and screenshots of its status surface.
import type { APIGateway } from '../gateway.js'
import type { Harness } from './gateway-harness.js'

export const BUSY_ADMIN_TOKEN = 'busy-gateway-admin-token-0123456789'

export interface BusyGateway {
  gateway: APIGateway
  url: string
  /** An API key valid on the `/private` route. */
  apiKey: string
  /** Sends `rounds` requests to every route (some rate-limited, some cached, some keyed). */
  traffic(rounds?: number): Promise<void>
  /** Sends failing requests to `/flaky` until its upstream's breaker is open. */
  tripBreaker(): Promise<void>
}

const drain = async (response: Response): Promise<number> => {
  await response.arrayBuffer()
  return response.status
}

/**
 * Routes: `/api` (rate-limited 3/min), `/cached` (cacheTtl 60), `/private` (requireAuth), `/partner` (upstreamLimit
 * with callerHeader `x-caller`), `/flaky` (a 500 upstream, breaker threshold 2).
 * @example
 * const busy = await startBusyGateway(h); await busy.traffic(); await busy.tripBreaker()
 */
export const startBusyGateway = async (h: Harness): Promise<BusyGateway> => {
  const upstream = await h.upstream()
  const failing = await h.upstream({ failureRate: 1, failureStatus: 500 })
  const { gateway, url } = await h.gateway(
    (g) =>
      g
        .registerRoute('/api', upstream.url, { rateLimit: { requestsPerMinute: 3 } })
        .registerRoute('/cached', upstream.url, { cacheTtl: 60 })
        .registerRoute('/private', upstream.url, { requireAuth: true })
        .registerRoute('/partner', upstream.url, { upstreamLimit: { requestsPerSecond: 1_000, callerHeader: 'x-caller' } })
        .registerRoute('/flaky', failing.url, {
          retry: { attempts: 1 },
          circuitBreaker: { failureThreshold: 2, recoveryTimeoutMs: 600_000 },
        }),
    { adminToken: BUSY_ADMIN_TOKEN },
  )
  const apiKey = await gateway.apiKeyManager.createApiKey('busy')
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers }).then(drain)
  return {
    gateway,
    url,
    apiKey,
    async traffic(rounds = 5) {
      for (let i = 0; i < rounds; i++) {
        await Promise.all([
          get('/api/items'),
          get('/cached/list'),
          get('/private/me', { 'x-api-key': apiKey }),
          get('/private/me'),
          get('/partner/orders', { 'x-caller': `tenant-${i % 3}` }),
        ])
      }
    },
    async tripBreaker() {
      for (let i = 0; i < 10 && gateway.breakers.snapshot()[new URL(failing.url).origin]?.state !== 'OPEN'; i++) await get('/flaky/x')
    },
  }
}
