import { describe, expect, it } from 'vitest'
import { main } from './gateway.js'

describe('examples/basic', () => {
  it('routes, runs the middleware, retries, opens the breaker and counts it all', async () => {
    const result = await main()
    expect(result.responses).toEqual({
      'GET /api/users/42': { status: 200 },
      'POST /api/users': { status: 200 },
      'DELETE /api/users/42': { status: 405, error: 'method_not_allowed' },
      'GET /api/orders': { status: 400, error: 'missing_tenant' },
      'GET /api/orders (X-Tenant)': { status: 200 },
      'GET /api/flaky': { status: 503 },
      'GET /api/flaky again': { status: 503, error: 'circuit_open' },
      'GET /nowhere': { status: 404, error: 'route_not_found' },
    })
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.flakyUpstreamRequests).toBe(3) // 3 attempts, then the open breaker kept the 2nd request away
    expect(result.metrics).toMatchObject({ requests_total: 8, requests_success: 3, requests_failed: 2 })
    expect(
      Object.values(result.metrics.circuit_breakers)
        .map((b) => b.state)
        .sort(),
    ).toEqual(['CLOSED', 'OPEN'])
  })
})
