import { Hono } from 'hono'
import { expect, it } from 'vitest'
import { cacheStage } from './cache-stage.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import type { CacheStore } from './store.js'

it('a request that read an expired entry before another request refreshed it reads again instead of going upstream', async () => {
  let now = Date.UTC(2026, 0, 1)
  const clock = { now: () => now }
  const inner = new MemoryCacheStore({ clock })
  // Armed: the first read passes, later ones return what the store held then, but only once `release` is called.
  let armed = false
  let passed = 0
  let release = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  const store: CacheStore = {
    get: async (key) => {
      const value = await inner.get(key)
      if (armed && passed++ > 0) await released
      return value
    },
    set: (key, record, ttlMs) => inner.set(key, record, ttlMs),
    delete: (key) => inner.delete(key),
    purge: (prefix) => inner.purge(prefix),
    size: () => inner.size(),
    close: () => inner.close(),
  }
  let upstreamCalls = 0
  const stage = cacheStage({ raw: { cacheTtl: 10 } }, { store, clock })
  const app = new Hono()
  app.use('*', async (c, next) => {
    c.set('normalizedPath', c.req.path)
    await next()
  })
  app.use('*', stage!)
  app.get('*', () => new Response(`v${++upstreamCalls}`, { headers: { 'cache-control': 'max-age=10' } }))

  expect(await (await app.request('/a')).text()).toBe('v1')
  now += 11_000
  armed = true
  const leading = app.request('/a')
  const follower = app.request('/a') // reads the expired entry while the leader is upstream, and is held back…
  const leader = await leading
  expect([leader.headers.get('x-cache'), await leader.text()]).toEqual(['MISS', 'v2'])
  await new Promise((resolve) => setTimeout(resolve, 20))
  release() // …until the leader's answer is stored and its flight settled
  const late = await follower
  expect([late.headers.get('x-cache'), await late.text()]).toEqual(['HIT', 'v2'])
  expect(upstreamCalls).toBe(2)
  await inner.close()
})
