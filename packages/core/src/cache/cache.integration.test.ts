// End to end over real sockets: client → Hono app with the cache stage on @hono/node-server → fetch → real upstream.
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizePath } from '../routing/normalize-path.js'
import { startMockUpstream, type MockUpstream } from '../testing/mock-upstream.js'
import { cacheStage } from './cache-stage.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import { purgeCache } from './purge.js'

describe('response cache in front of a real upstream', () => {
  let upstream: MockUpstream
  let server: ServerType
  let base: string
  const store = new MemoryCacheStore()

  beforeAll(async () => {
    upstream = await startMockUpstream({
      latencyMs: 20,
      handler: (req, res) => {
        if (req.url?.startsWith('/big')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' }) // chunked: no Content-Length
          for (let i = 0; i < 64; i++) res.write(Buffer.alloc(4_096, i))
          res.end()
          return true
        }
        if (req.url?.startsWith('/private')) {
          res.writeHead(200, { 'cache-control': 'private', 'content-type': 'text/plain' })
          res.end(`private ${upstream.count()}`)
          return true
        }
        return false
      },
    })
    const stage = cacheStage({ raw: { cacheTtl: 60, cacheMaxBodyBytes: 100_000 } }, { store })!
    const app = new Hono()
    app.use('*', async (c, next) => {
      c.set('normalizedPath', normalizePath(c.req.path))
      await next()
    })
    app.use('*', stage)
    app.all('*', (c) => {
      const url = new URL(c.req.url)
      return fetch(`${upstream.url}${url.pathname}${url.search}`, { method: c.req.method })
    })
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
    })
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections()
      server.close(() => resolve())
    })
    await upstream.close()
    await store.close()
  })

  it('misses, hits, coalesces, streams big bodies and purges', async () => {
    const first = await fetch(`${base}/api/items?b=2&a=1`)
    expect(first.headers.get('x-cache')).toBe('MISS')
    const firstBody = (await first.json()) as { url: string }
    expect(firstBody.url).toBe('/api/items?b=2&a=1')
    const hit = await fetch(`${base}/api/items?a=1&b=2`)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(hit.headers.get('age')).toBe('0')
    expect(await hit.json()).toEqual(firstBody)
    const head = await fetch(`${base}/api/items?a=1&b=2`, { method: 'HEAD' })
    expect(head.headers.get('x-cache')).toBe('HIT')
    expect(upstream.count()).toBe(1)

    const burst = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`${base}/api/burst`).then(async (r) => [r.headers.get('x-cache'), await r.text()] as const)),
    )
    expect(upstream.count()).toBe(2)
    expect(new Set(burst.map(([, body]) => body)).size).toBe(1)
    expect(burst.filter(([cache]) => cache === 'HIT')).toHaveLength(49)

    const big = await fetch(`${base}/big`)
    const bytes = new Uint8Array(await big.arrayBuffer())
    expect(bytes.length).toBe(64 * 4_096)
    expect(bytes[4_096 * 63]).toBe(63)
    expect((await fetch(`${base}/big`)).headers.get('x-cache')).toBe('MISS')
    expect(upstream.count()).toBe(4)

    const p1 = await (await fetch(`${base}/private`)).text()
    const p2 = await (await fetch(`${base}/private`)).text()
    expect(p1).not.toBe(p2)

    expect(await purgeCache(store, '/api')).toBe(2)
    expect((await fetch(`${base}/api/items?a=1&b=2`)).headers.get('x-cache')).toBe('MISS')
  })
})
