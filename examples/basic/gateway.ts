// A first Tollgate program: routes with retries and a circuit breaker, custom middleware, and a look at /_metrics.
// Run it: pnpm exec tsx examples/basic/gateway.ts
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { APIGateway } from '@tollgate/core'
import { startMockUpstream } from '@tollgate/core/testing'

export interface BasicExampleResult {
  /** Each request the example made, by label: its status, and the gateway's error code when it answered itself. */
  responses: Record<string, { status: number; error?: string }>
  /** The X-Request-Id the middleware put on the first response. */
  requestId: string | null
  /** Requests the always-failing upstream received (retries included). */
  flakyUpstreamRequests: number
  /** A few fields of GET /_metrics. */
  metrics: {
    requests_total: number
    requests_success: number
    requests_failed: number
    circuit_breakers: Record<string, { state: string }>
  }
}

export async function main(): Promise<BasicExampleResult> {
  // Two stand-in services: one healthy (it echoes the request as JSON), one that always answers 503.
  const users = await startMockUpstream()
  const flaky = await startMockUpstream({ failureRate: 1, failureStatus: 503 })

  const gateway = new APIGateway()
    .registerRoute('/api/users', users.url, { methods: ['GET', 'POST'], timeoutMs: 2_000 })
    .registerRoute('/api/orders', users.url, { id: 'orders' })
    .registerRoute('/api/flaky', flaky.url, {
      retry: { attempts: 3, initialDelayMs: 10 }, // 3 tries in all, for GETs and other idempotent methods
      circuitBreaker: { failureThreshold: 3, recoveryTimeoutMs: 30_000 }, // 3 failures in a row → open
    })

  // Custom middleware runs after the route is matched, in the order added.
  gateway.addMiddleware(async function requestId(c, next) {
    const id = c.req.header('x-request-id') ?? randomUUID()
    await next()
    c.res.headers.set('x-request-id', id)
  })
  gateway.addMiddleware(async function requireTenant(c, next) {
    if (c.get('route').id === 'orders' && !c.req.header('x-tenant')) {
      return c.json({ error: { code: 'missing_tenant', message: 'send an X-Tenant header' } }, 400) // short-circuits
    }
    await next()
  })

  const { url } = await gateway.start({ port: 0 }) // 0: any free port
  try {
    const summary = async (response: Response) => {
      const body = (await response.json()) as { error?: { code: string } }
      const error = body.error?.code // the gateway's own errors are { error: { code, message } }
      return { status: response.status, ...(error && { error }) }
    }
    const call = (path: string, init?: RequestInit) => fetch(url + path, init).then(summary)

    const first = await fetch(`${url}/api/users/42`)
    const requestId = first.headers.get('x-request-id')
    const responses = {
      'GET /api/users/42': await summary(first), // 200
      'POST /api/users': await call('/api/users', { method: 'POST', body: '{"name":"Ada"}' }), // 200
      'DELETE /api/users/42': await call('/api/users/42', { method: 'DELETE' }), // 405 method_not_allowed
      'GET /api/orders': await call('/api/orders'), // 400 from requireTenant
      'GET /api/orders (X-Tenant)': await call('/api/orders', { headers: { 'x-tenant': 'acme' } }), // 200
      'GET /api/flaky': await call('/api/flaky'), // the upstream's own 503, after 3 attempts
      'GET /api/flaky again': await call('/api/flaky'), // 503 circuit_open: the upstream is spared
      'GET /nowhere': await call('/nowhere'), // 404 route_not_found
    }
    const metrics = (await (await fetch(`${url}/_metrics`)).json()) as BasicExampleResult['metrics']
    return {
      responses,
      requestId,
      flakyUpstreamRequests: flaky.count(),
      metrics: {
        requests_total: metrics.requests_total,
        requests_success: metrics.requests_success,
        requests_failed: metrics.requests_failed,
        circuit_breakers: metrics.circuit_breakers,
      },
    }
  } finally {
    await gateway.stop()
    await Promise.all([users.close(), flaky.close()])
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await main(), null, 2))
}
