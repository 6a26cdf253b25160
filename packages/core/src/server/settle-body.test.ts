// settleBodies on a plain Hono app served by @hono/node-server: the drain bound, the timeout and the lingering close.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { get, openConnection, type RawConnection } from '../security/raw-connection.test-helper.js'
import { settleBodies, type SettleBodyOptions } from './settle-body.js'

const closers: Array<() => unknown> = []
afterEach(async () => {
  while (closers.length) await closers.pop()!()
})

/** An app that refuses every POST without reading its body, behind settleBodies(options). */
const serve = async (options: SettleBodyOptions, halfOpen = false): Promise<RawConnection> => {
  const app = new Hono()
  app.post('*', (c) => c.json({ error: { code: 'payload_too_large', message: 'no' } }, 413))
  app.get('*', (c) => c.json({ ok: true }))
  const server = createAdaptorServer({ fetch: settleBodies(app.fetch, options) }) as Server
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => server.closeAllConnections(),
  )
  const conn = await openConnection(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { allowHalfOpen: halfOpen })
  closers.push(() => conn.close())
  return conn
}

const postHead = (length: number) => `POST /up HTTP/1.1\r\nhost: x\r\ncontent-length: ${length}\r\n\r\n`

describe('settleBodies', () => {
  it('a body within the bound is drained before the answer: the connection stays open for the next request', async () => {
    const conn = await serve({ maxDrainBytes: 10_000 })
    await conn.write(Buffer.concat([Buffer.from(postHead(10_000)), Buffer.alloc(10_000), Buffer.from(get('/next'))]))
    const refused = await conn.response()
    expect([refused.status, refused.headers.connection]).toEqual([413, 'keep-alive'])
    expect((await conn.response()).status).toBe(200)
  })

  it('a body that stalls past drainTimeoutMs: the answer closes the connection, with a FIN rather than a reset', async () => {
    const conn = await serve({ drainTimeoutMs: 200, lingerMs: 5_000 })
    await conn.write(Buffer.concat([Buffer.from(postHead(20_000)), Buffer.alloc(5_000)]))
    const refused = await conn.response()
    expect([refused.status, refused.headers.connection]).toEqual([413, 'close'])
    expect(await conn.closed()).toBe('end')
  })

  it('an announced body over maxDrainBytes is not waited for; what the client still sends while lingering is read', async () => {
    const conn = await serve({ maxDrainBytes: 1_000, lingerMs: 5_000 }, true)
    await conn.write(postHead(500_000))
    const refused = await conn.response()
    expect(refused.headers.connection).toBe('close')
    expect(await conn.closed()).toBe('end') // the server's FIN; our side stays open (half-close)
    // Some time later the server still reads: the rest of the body is taken in, not answered with RST (EPIPE here).
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      await conn.write(Buffer.alloc(100_000))
    }
    const closed = new Promise((resolve) => conn.socket.once('close', resolve))
    conn.socket.end()
    await closed
    expect(conn.errors).toEqual([])
  })
})
