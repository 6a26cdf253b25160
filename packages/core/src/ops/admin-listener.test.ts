// The status surface: the admin listener (adminPort), publicStatus, and what a gateway bound to 0.0.0.0 publishes.
import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import type { GatewayOptions } from '../options.js'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { freePort } from '../testing/redis-server.js'

const h = createHarness()
afterEach(() => h.close())

const TOKEN = 'admin-token-for-tests'
const admin = { authorization: `Bearer ${TOKEN}` }
const STATUS_PATHS = ['/_metrics', '/_metrics/prometheus', '/_upstreams', '/_upstreams/presets']

const start = async (options: GatewayOptions, host = '127.0.0.1') => {
  const up = await h.upstream()
  const gateway = new APIGateway({ logger: captureLogger(), ...options })
  gateway.registerRoute('/api', up.url)
  const result = await gateway.start({ port: 0, host })
  h.defer(() => gateway.stop())
  return { gateway, up, ...result }
}

const statusOf = async (url: string, paths: readonly string[], headers: Record<string, string> = {}) =>
  Object.fromEntries(await Promise.all(paths.map(async (path) => [path, (await rawRequest(url, path, { headers })).status])))

describe('admin listener (adminPort)', () => {
  it('serves every status surface and /_admin; the traffic port answers 404 for them but keeps live, ready and a /_health summary', async () => {
    const { url, port, adminUrl, adminPort, up } = await start({ adminPort: 0, adminToken: TOKEN })
    expect(adminUrl).toBe(`http://127.0.0.1:${adminPort}`)
    expect(adminPort).not.toBe(port)

    const all = [...STATUS_PATHS, '/_health', '/_health/live', '/_health/ready', '/_admin/keys']
    expect(await statusOf(adminUrl!, all, admin)).toEqual(Object.fromEntries(all.map((path) => [path, 200])))
    expect((await rawRequest(adminUrl!, '/_metrics')).status).toBe(200) // loopback admin listener: public
    expect((await rawRequest(adminUrl!, '/_admin/keys')).status).toBe(401)
    expect((await rawRequest(adminUrl!, '/_health')).json().routes[0].targets[0].url).toContain(up.url.replace(/\/$/, ''))
    expect((await rawRequest(adminUrl!, '/api/x')).status).toBe(404) // no traffic on the admin port

    const traffic = [...STATUS_PATHS, '/_admin/keys', '/_admin']
    expect(await statusOf(url, traffic, admin)).toEqual(Object.fromEntries(traffic.map((path) => [path, 404])))
    expect((await rawRequest(url, '/_metrics')).json().error.code).toBe('not_found')
    expect(await statusOf(url, ['/_health/live', '/_health/ready', '/api/x'])).toEqual({
      '/_health/live': 200,
      '/_health/ready': 200,
      '/api/x': 200,
    })
    const summary = await rawRequest(url, '/_health', { headers: admin })
    expect(summary.json()).toEqual({ status: 'ok', uptime_seconds: expect.any(Number) })
    expect(summary.body).not.toContain(up.url)
  })

  it('stop() closes both listeners', async () => {
    const { gateway, url, adminUrl } = await start({ adminPort: 0 })
    await gateway.stop()
    await expect(rawRequest(url, '/_health/live')).rejects.toThrow(/ECONNREFUSED/)
    await expect(rawRequest(adminUrl!, '/_health/live')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('a taken admin port is a clear start error, and the traffic port is released again', async () => {
    const { adminPort: taken } = await start({ adminPort: 0 })
    const trafficPort = await freePort()
    const gateway = new APIGateway({ logger: captureLogger(), adminPort: taken })
    await expect(gateway.start({ port: trafficPort })).rejects.toThrow(
      `start: admin listener: cannot listen on 127.0.0.1:${taken}: port ${taken} is already in use on 127.0.0.1`,
    )
    await expect(rawRequest(`http://127.0.0.1:${trafficPort}`, '/_health/live')).rejects.toThrow(/ECONNREFUSED/)
    const retry = new APIGateway({ logger: captureLogger(), adminPort: 0 })
    const { port } = await retry.start({ port: trafficPort })
    h.defer(() => retry.stop())
    expect(port).toBe(trafficPort)
  })

  it('an admin listener bound beyond loopback is not public either: the token is needed', async () => {
    const { adminPort } = await start({ adminPort: 0, adminHost: '0.0.0.0', adminToken: TOKEN })
    const adminUrl = `http://127.0.0.1:${adminPort}`
    expect(await statusOf(adminUrl, ['/_metrics', '/_upstreams'])).toEqual({ '/_metrics': 401, '/_upstreams': 401 })
    expect(await statusOf(adminUrl, ['/_metrics', '/_upstreams'], admin)).toEqual({ '/_metrics': 200, '/_upstreams': 200 })
  })

  it('rejects an invalid adminPort naming the field', () => {
    expect(() => new APIGateway({ adminPort: 70_000 })).toThrow(/options\.adminPort must be an integer from 0 to 65535/)
  })
})

describe('publicStatus and the default binding', () => {
  it('publicStatus: false puts /_metrics*, /_upstreams* and /_health details behind the admin token; live and ready stay open', async () => {
    const { url, up } = await start({ publicStatus: false, adminToken: TOKEN })
    expect(await statusOf(url, STATUS_PATHS)).toEqual(Object.fromEntries(STATUS_PATHS.map((path) => [path, 401])))
    expect(await statusOf(url, STATUS_PATHS, admin)).toEqual(Object.fromEntries(STATUS_PATHS.map((path) => [path, 200])))
    expect(await statusOf(url, ['/_health/live', '/_health/ready'])).toEqual({ '/_health/live': 200, '/_health/ready': 200 })
    expect((await rawRequest(url, '/_health')).body).not.toContain(up.url)
    expect((await rawRequest(url, '/_health', { headers: admin })).json().routes).toHaveLength(1)
  })

  it('bound to 0.0.0.0 by default, the gateway publishes neither its metrics nor its upstream map', async () => {
    const { port, up } = await start({}, '0.0.0.0')
    const url = `http://127.0.0.1:${port}`
    expect(await statusOf(url, STATUS_PATHS)).toEqual(Object.fromEntries(STATUS_PATHS.map((path) => [path, 404])))
    expect((await rawRequest(url, '/_metrics')).json().error.message).toContain('not public')
    const health = await rawRequest(url, '/_health')
    expect([health.status, health.json()]).toEqual([200, { status: 'ok', uptime_seconds: expect.any(Number) }])
    expect(health.body).not.toContain(String(up.port))
    expect(await statusOf(url, ['/_health/live', '/_health/ready', '/api/x'])).toEqual({
      '/_health/live': 200,
      '/_health/ready': 200,
      '/api/x': 200,
    })
  })

  it('bound to 0.0.0.0 with an admin token, the token opens the status endpoints; publicStatus: true opens them to all', async () => {
    const { port } = await start({ adminToken: TOKEN }, '0.0.0.0')
    const url = `http://127.0.0.1:${port}`
    expect(await statusOf(url, ['/_metrics', '/_metrics/prometheus'])).toEqual({ '/_metrics': 401, '/_metrics/prometheus': 401 })
    expect(await statusOf(url, ['/_metrics', '/_metrics/prometheus'], admin)).toEqual({ '/_metrics': 200, '/_metrics/prometheus': 200 })
    const open = await start({ publicStatus: true }, '0.0.0.0')
    expect((await rawRequest(`http://127.0.0.1:${open.port}`, '/_metrics')).status).toBe(200)
  })

  it('bound to loopback (the core default host), the status endpoints stay public as before', async () => {
    const { url } = await start({})
    expect(await statusOf(url, STATUS_PATHS)).toEqual(Object.fromEntries(STATUS_PATHS.map((path) => [path, 200])))
  })
})
