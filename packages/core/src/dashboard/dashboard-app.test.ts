// /_dashboard through the gateway: the page holds no data, the data needs the admin token, no token → no dashboard.
import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import { BUSY_ADMIN_TOKEN, startBusyGateway } from '../testing/busy-gateway.test-helper.js'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { DASHBOARD_JS } from './assets/script.js'
import { dashboardApp } from './dashboard-app.js'
import type { DashboardData } from './data.js'

const h = createHarness()
afterEach(() => h.close())

describe('/_dashboard', () => {
  it('serves the page and its assets with a strict CSP and no data; the data needs the admin token', async () => {
    const busy = await startBusyGateway(h)
    await busy.traffic(2)
    await busy.tripBreaker()
    const page = await fetch(`${busy.url}/_dashboard`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).toContain('<script src="/_dashboard/app.js"')
    expect(html).not.toContain('/api')
    for (const asset of ['app.js', 'app.css']) expect((await fetch(`${busy.url}/_dashboard/${asset}`)).status).toBe(200)

    const denied = await fetch(`${busy.url}/_dashboard/data`)
    expect(denied.status).toBe(401)
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
    expect((await fetch(`${busy.url}/_dashboard/data`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)

    const res = await fetch(`${busy.url}/_dashboard/data`, { headers: { authorization: `Bearer ${BUSY_ADMIN_TOKEN}` } })
    expect(res.status).toBe(200)
    const data = (await res.json()) as DashboardData
    expect(data.routes.map((r) => r.id).sort()).toEqual(['api', 'cached', 'flaky', 'partner', 'private'])
    const byId = Object.fromEntries(data.routes.map((r) => [r.id, r]))
    expect(byId.api).toMatchObject({ requests: 2, prefix: '/api' })
    expect(byId.cached?.cacheHits).toBe(1)
    expect(byId.private?.clientErrors).toBe(2)
    expect(byId.flaky?.targets[0]?.breaker).toBe('OPEN')
    expect(data.breakers.map((b) => b.state).sort()).toEqual(['CLOSED', 'OPEN'])
    expect(data.upstreams[0]?.callers.map((c) => c.id).sort()).toEqual(['tenant-0', 'tenant-1'])
    expect(data.stores).toMatchObject({ rate_limit: { status: 'up' } })
    expect(data.process?.heapUsedBytes).toBeGreaterThan(0)
    // The admin token never appears in what the gateway logged.
    expect(JSON.stringify(busy.gateway.logger)).not.toContain(BUSY_ADMIN_TOKEN)
  })

  it('ships a script that parses (it lives in a template string, where a stray escape goes unnoticed by tsc)', () => {
    expect(() => new Function(DASHBOARD_JS)).not.toThrow()
    expect(DASHBOARD_JS).not.toMatch(/innerHTML|eval\(/)
  })

  it('does not exist without an admin token', async () => {
    const gateway = new APIGateway({ logger: captureLogger() })
    expect((await gateway.fetch(new Request('http://gw/_dashboard'))).status).toBe(404)
    expect((await gateway.fetch(new Request('http://gw/_dashboard/data'))).status).toBe(404)
  })

  it('refuses to build without a token or with a base path it cannot link', () => {
    const source = new APIGateway({ logger: captureLogger() })
    expect(() => dashboardApp(source, { adminToken: '' })).toThrow(/adminToken/)
    expect(() => dashboardApp(source, { adminToken: 't', basePath: '/x"><script>' })).toThrow(/basePath/)
    expect(() => dashboardApp(source, { adminToken: 't', basePath: '/ops/dashboard' })).not.toThrow()
  })
})
