// The demo upstream behind a real gateway: large bodies leave the pooled upstream connection usable.
import { Readable } from 'node:stream'
import { APIGateway } from '@tollgate/core'
import { captureLogger, rawRequest } from '@tollgate/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { startDemoUpstream, type DemoUpstream } from './demo-upstream.js'

let demo: DemoUpstream | undefined
let gateway: APIGateway | undefined
afterEach(async () => {
  await gateway?.stop()
  await demo?.close()
  gateway = demo = undefined
})

/** A chunked body (no Content-Length) of `bytes` bytes of JSON-safe text. */
const chunkedBody = (bytes: number): Readable => Readable.from([Buffer.alloc(bytes >> 1, 'x'), Buffer.alloc(bytes - (bytes >> 1), 'y')])

describe('demo upstream', () => {
  it('a chunked POST over 64 KiB to /api/echo is read whole; the next request on the pooled connection is answered', async () => {
    demo = await startDemoUpstream()
    // One upstream connection, so the second request must reuse the one the large body went through.
    gateway = new APIGateway({ logger: captureLogger(), maxConnectionsPerOrigin: 1 })
    gateway.registerRoute('/api', demo.url, { timeoutMs: 10_000, retry: { attempts: 1 } })
    const { url } = await gateway.start({ port: 0 })

    const echo = await rawRequest(url, '/api/echo', { method: 'POST', body: chunkedBody(300_000) })
    expect(echo.status).toBe(200)
    expect(echo.json().bodyBytes).toBe(300_000)
    expect(echo.json().body).toHaveLength(64 * 1024)

    const started = performance.now()
    const next = await rawRequest(url, '/api/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Barbara Liskov"}',
    })
    expect(next.status).toBe(201)
    expect(next.json()).toMatchObject({ id: 4, name: 'Barbara Liskov' })
    // Generous: the failure this guards against waits out the whole 10 s route timeout.
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('a body past the read bound is answered with Connection: close instead of a half-read connection', async () => {
    demo = await startDemoUpstream()
    const res = await rawRequest(demo.url, '/api/echo', { method: 'POST', body: chunkedBody(9 * 1024 * 1024) })
    expect(res.status).toBe(200)
    expect(res.headers.connection).toBe('close')
    expect(res.json().bodyBytes).toBeGreaterThan(8 * 1024 * 1024)
  })
})
