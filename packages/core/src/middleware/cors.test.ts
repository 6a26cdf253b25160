import { serve, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { cors } from './cors.js'

const makeApp = (options?: Parameters<typeof cors>[0]) => {
  const reached: string[] = []
  const app = new Hono()
  app.use(cors(options))
  app.all('*', (c) => {
    reached.push(`${c.req.method} ${c.req.path}`)
    return c.text('upstream', 200, { 'x-upstream': '1' })
  })
  return { app, reached }
}

const preflight = (headers: Record<string, string> = {}) => ({
  method: 'OPTIONS',
  headers: {
    origin: 'https://app.example.com',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type, x-api-key',
    ...headers,
  },
})

describe('cors()', () => {
  it('answers a preflight with 204 and never reaches the next handler', async () => {
    const { app, reached } = makeApp()
    const res = await app.request('/api/users', preflight())
    expect(res.status).toBe(204)
    expect(reached).toEqual([])
    expect(await res.text()).toBe('')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,HEAD,PUT,POST,DELETE,PATCH,OPTIONS')
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type,x-api-key')
    expect(res.headers.get('access-control-max-age')).toBe('600')
    expect(res.headers.get('x-upstream')).toBeNull()
  })

  it('adds CORS headers to an actual request and passes it on', async () => {
    const { app, reached } = makeApp()
    const res = await app.request('/api/users', { headers: { origin: 'https://app.example.com' } })
    expect(res.status).toBe(200)
    expect(reached).toEqual(['GET /api/users'])
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After')
    expect(res.headers.get('x-upstream')).toBe('1')
  })

  it('passes a plain OPTIONS request (no Access-Control-Request-Method) to the upstream', async () => {
    const { app, reached } = makeApp()
    const res = await app.request('/api/users', { method: 'OPTIONS' })
    expect(res.status).toBe(200)
    expect(reached).toEqual(['OPTIONS /api/users'])
  })

  it('honours an origin list and overrides', async () => {
    const { app } = makeApp({ origin: ['https://app.example.com'], credentials: true, maxAge: 60 })
    const ok = await app.request('/x', preflight())
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true')
    expect(ok.headers.get('access-control-max-age')).toBe('60')
    expect(ok.headers.get('vary')).toContain('Origin')
    const other = await app.request('/x', preflight({ origin: 'https://evil.example' }))
    expect(other.status).toBe(204)
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('refuses credentials with a wildcard origin', () => {
    expect(() => cors({ credentials: true })).toThrow(TypeError)
    expect(() => cors({ credentials: true, origin: '*' })).toThrow(TypeError)
  })

  it('answers a real preflight over HTTP', async () => {
    const { app, reached } = makeApp()
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
    })
    try {
      const { port } = server.address() as AddressInfo
      const res = await fetch(`http://127.0.0.1:${port}/api/users`, preflight())
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-max-age')).toBe('600')
      expect(await res.text()).toBe('')
      expect(reached).toEqual([])
    } finally {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        ;(server as import('node:http').Server).closeAllConnections?.()
      })
    }
  })
})
