// Every 500 from the gateway or the admin API is logged once, with method, path, route id and request id.
import { afterEach, describe, expect, it } from 'vitest'
import type { APIKeyStore } from '../keys/types.js'
import type { Logger } from '../options.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'

const TOKEN = 'admin-token-0123456789'
const AUTH = { authorization: `Bearer ${TOKEN}` }
const h = createHarness()
afterEach(() => h.close())

/** A logger that keeps each error call's arguments. */
const spyLogger = () => {
  const errors: unknown[][] = []
  const logger: Logger = { info() {}, warn() {}, debug() {}, error: (...args) => void errors.push(args) }
  return { logger, errors }
}

const failure = new Error('disk on fire')
const failingKeyStore: APIKeyStore = {
  get: () => Promise.reject(failure),
  put: () => Promise.reject(failure),
  update: () => Promise.reject(failure),
  delete: () => Promise.reject(failure),
  list: () => Promise.reject(failure),
  close: () => Promise.resolve(),
}

describe('500s are logged once, with context', () => {
  it('admin API: a failing key store answers 500 with a generated requestId that is in the one log line', async () => {
    const { logger, errors } = spyLogger()
    const { url } = await h.gateway(() => {}, { adminToken: TOKEN, logger, apiKeys: { store: failingKeyStore } })
    const res = await rawRequest(url, '/_admin/keys?secret=hidden', { headers: AUTH })
    expect(res.status).toBe(500)
    const body = res.json()
    expect(body.error).toMatchObject({ code: 'internal_error', message: 'The admin request failed' })
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers['x-request-id']).toBe(body.error.requestId)
    expect(errors).toHaveLength(1)
    const [line, cause] = errors[0]!
    expect(line).toBe(`500 internal_error on GET /_admin/keys (route _admin, request id ${body.error.requestId}):`)
    expect(cause).toBe(failure)
  })

  it("admin API: the client's X-Request-Id is reused; one failing request logs one line", async () => {
    const { logger, errors } = spyLogger()
    const { url } = await h.gateway(() => {}, { adminToken: TOKEN, logger, apiKeys: { store: failingKeyStore } })
    const res = await rawRequest(url, '/_admin/keys', {
      method: 'POST',
      headers: { ...AUTH, 'x-request-id': 'req-42', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'app' }),
    })
    expect([res.status, res.json().error.requestId]).toEqual([500, 'req-42'])
    expect(errors).toHaveLength(1)
    expect(errors[0]![0]).toContain('POST /_admin/keys (route _admin, request id req-42)')
  })

  it('gateway: a stage that throws answers 500 with the route id and request id logged', async () => {
    const { logger, errors } = spyLogger()
    const up = await h.upstream()
    const { url } = await h.gateway(
      (g) => {
        g.registerRoute('/api', up.url, { id: 'users' })
        g.addMiddleware(async () => {
          throw failure
        })
      },
      { logger },
    )
    const res = await rawRequest(url, '/api/x', { headers: { 'x-request-id': 'abc' } })
    expect(res.status).toBe(500)
    expect(res.json().error).toEqual({ code: 'internal_error', message: 'The gateway failed to handle the request', requestId: 'abc' })
    expect(errors).toEqual([['500 internal_error on GET /api/x (route users, request id abc):', failure]])
    expect(up.count()).toBe(0)
  })

  it('a request id that is not short printable ASCII is replaced, not logged', async () => {
    const { logger, errors } = spyLogger()
    const { url } = await h.gateway(() => {}, { adminToken: TOKEN, logger, apiKeys: { store: failingKeyStore } })
    const res = await rawRequest(url, '/_admin/keys', { headers: { ...AUTH, 'x-request-id': 'x'.repeat(300) } })
    expect(res.json().error.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(String(errors[0]![0])).not.toContain('xxxx')
  })
})
