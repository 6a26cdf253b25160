import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import { captureLogger } from '../testing/gateway-harness.js'
import { mountBuiltInEndpoints, type Surface } from './built-in-endpoints.js'
import type { StatusApp } from './status-apps.js'

const gateways: APIGateway[] = []
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.stop()
})

/** A status sub-app as the dashboard will be: mounted once, with the status endpoints. */
const dashboard: StatusApp = { path: '/_board', create: () => new Hono().get('/', (c) => c.text('board')) }

const appFor = (surface: Surface): Hono => {
  const gateway = new APIGateway({ logger: captureLogger() })
  gateways.push(gateway)
  const app = new Hono()
  mountBuiltInEndpoints(app, gateway, { surface, isPublic: () => true, statusApps: [dashboard] })
  return app
}

describe('status sub-apps (STATUS_APPS)', () => {
  it('are mounted with the status endpoints, and answer 404 on the traffic port when there is an admin listener', async () => {
    const admin = await appFor('admin').request('/_board')
    expect([admin.status, await admin.text()]).toEqual([200, 'board'])
    expect((await appFor('combined').request('/_board')).status).toBe(200)
    const traffic = await appFor('traffic').request('/_board/x')
    expect(traffic.status).toBe(404)
    expect(((await traffic.json()) as { error: { message: string } }).error.message).toContain('admin listener')
  })
})
