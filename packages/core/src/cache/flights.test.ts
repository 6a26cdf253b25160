import { Hono } from 'hono'
import { expect, it } from 'vitest'
import { cacheStage } from './cache-stage.js'
import { MemoryCacheStore } from './memory-cache-store.js'
import type { CacheStore } from './store.js'

const gate = () => {
  let open = () => {}
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

/** A cached route over a memory store whose reads or writes a test can hold back, with a 10 s fresh upstream. */
const setup = (hold: { read?: (n: number) => Promise<void> | undefined; write?: (n: number) => Promise<void> | undefined }) => {
  const clock = { t: Date.UTC(2026, 0, 1), now: () => clock.t }
  const inner = new MemoryCacheStore({ clock })
  let reads = 0
  let writes = 0
  const store: CacheStore = {
    get: async (key) => {
      const value = await inner.get(key)
      await hold.read?.(++reads)
      return value
    },
    set: async (key, record, ttlMs) => {
      await hold.write?.(++writes)
      return inner.set(key, record, ttlMs)
    },
    delete: (key) => inner.delete(key),
    purge: (prefix) => inner.purge(prefix),
    size: () => inner.size(),
    close: () => inner.close(),
  }
  const upstream = { calls: 0 }
  const app = new Hono()
  app.use('*', async (c, next) => {
    c.set('normalizedPath', c.req.path)
    await next()
  })
  app.use('*', cacheStage({ raw: { cacheTtl: 10 } }, { store, clock })!)
  app.get('*', () => new Response(`v${++upstream.calls}`, { headers: { 'cache-control': 'max-age=10' } }))
  return { app, clock, upstream, close: () => inner.close() }
}

it('a request that read an expired entry before another request refreshed it reads again instead of going upstream', async () => {
  // Armed: the first read passes, later ones return what the store held then, but only once the gate opens.
  let armed = false
  const held = gate()
  const { app, clock, upstream, close } = setup({ read: (n) => (armed && n > 2 ? held.opened : undefined) })

  expect(await (await app.request('/a')).text()).toBe('v1')
  clock.t += 11_000
  armed = true
  const leading = app.request('/a')
  const follower = app.request('/a') // reads the expired entry while the leader is upstream, and is held back…
  const leader = await leading
  expect([leader.headers.get('x-cache'), await leader.text()]).toEqual(['MISS', 'v2'])
  await new Promise((resolve) => setTimeout(resolve, 20))
  held.open() // …until the leader's answer is stored and its flight settled
  const late = await follower
  expect([late.headers.get('x-cache'), await late.text()]).toEqual(['HIT', 'v2'])
  expect(upstream.calls).toBe(2)
  await close()
})

it('waiters whose leader stored an entry already stale lead one more request between them, not one each', async () => {
  const held = gate()
  const { app, clock, upstream, close } = setup({ write: (n) => (n === 1 ? held.opened : undefined) })
  const first = await app.request('/a') // the MISS is answered; its write is held back
  clock.t += 11_000 // and the entry is stale by the time it is stored
  const waiters = Array.from({ length: 5 }, () => app.request('/a'))
  await new Promise((resolve) => setTimeout(resolve, 20))
  held.open()
  expect(await first.text()).toBe('v1')
  const answers = await Promise.all(waiters.map(async (r) => [(await r).headers.get('x-cache'), await (await r).text()]))
  expect(upstream.calls).toBe(2)
  expect(answers.filter(([cache]) => cache === 'HIT')).toHaveLength(4)
  expect(answers.every(([, body]) => body === 'v2')).toBe(true)
  await close()
})
