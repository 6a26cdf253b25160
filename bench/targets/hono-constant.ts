// Bench reference: a Hono app on @hono/node-server answering the upstream's 100-byte JSON itself, with no work at
// all — the most a gateway answering from memory (a cache hit) can do on this framework.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { announce, countRequest, listenHost } from '../lib/target-runtime.js'

const skeleton = JSON.stringify({ id: 42, name: 'item', pad: '' })
const body = new TextEncoder().encode(JSON.stringify({ id: 42, name: 'item', pad: 'x'.repeat(100 - skeleton.length) }))

const app = new Hono()
app.all('*', (c) => {
  countRequest()
  return c.body(body, 200, { 'content-type': 'application/json' })
})

const server = serve({ fetch: app.fetch, port: 0, hostname: listenHost }, (info: AddressInfo) => {
  announce(info.port, { close: () => void server.close() })
})
