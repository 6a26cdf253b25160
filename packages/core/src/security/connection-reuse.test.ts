// Refused requests (413, 401, 404, 405) leave their connection usable, or close it only after the answer is read.
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { chunked, get, openConnection, withLength, type RawConnection } from './raw-connection.test-helper.js'

const TOKEN = 'admin-token-0123456789'
const AUTH = { authorization: `Bearer ${TOKEN}` }

const h = createHarness()
afterEach(() => h.close())

const start = async () => {
  const up = await h.upstream()
  const { url } = await h.gateway(
    (g) => {
      g.registerRoute('/small', up.url, { maxBodyBytes: 1_000 })
      g.registerRoute('/only-get', up.url, { methods: ['GET'] })
      g.registerRoute('/keyed', up.url, { requireAuth: true })
      g.registerRoute('/open', up.url)
    },
    { adminToken: TOKEN },
  )
  const conn = await openConnection(url)
  h.defer(() => conn.close())
  return { url, up, conn }
}

/** Sends `refused`, expects `status`, then a GET on the same connection must be answered 200. */
const refusedThenReused = async (conn: RawConnection, refused: Buffer, status: number, next = get('/open/after')) => {
  await conn.write(refused)
  const first = await conn.response()
  expect(first.status).toBe(status)
  expect(first.headers.connection).not.toBe('close')
  await conn.write(next)
  const second = await conn.response()
  expect(second.status).toBe(200)
  return first
}

describe('a refused body keeps the connection usable', () => {
  it('admin API 413 (Content-Length), then the next request on the connection is answered', async () => {
    const { conn } = await start()
    const first = await refusedThenReused(conn, withLength('POST', '/_admin/keys', 100_000, AUTH), 413, get('/_admin/routes', AUTH))
    expect(JSON.parse(first.body).error.code).toBe('payload_too_large')
  })

  it('admin API 413 (chunked), then the next request on the connection is answered', async () => {
    const { conn } = await start()
    await refusedThenReused(conn, chunked('POST', '/_admin/keys', 300_000, AUTH), 413, get('/_admin/routes', AUTH))
  })

  it('route 413 (maxBodyBytes), by Content-Length and chunked, then the connection carries more', async () => {
    const { conn, up } = await start()
    await refusedThenReused(conn, withLength('POST', '/small/a', 200_000), 413)
    await refusedThenReused(conn, chunked('POST', '/small/b', 200_000), 413)
    await refusedThenReused(conn, chunked('POST', '/small/c', 5_000), 413)
    expect(up.received.map((r) => r.url)).toEqual(['/open/after', '/open/after', '/open/after'])
  })

  it('pipelined behind a 413, a request is answered', async () => {
    const { conn } = await start()
    await conn.write(Buffer.concat([withLength('POST', '/small/x', 50_000), Buffer.from(get('/open/pipelined'))]))
    expect((await conn.response()).status).toBe(413)
    const second = await conn.response()
    expect(second.status).toBe(200)
    expect(JSON.parse(second.body).url).toBe('/open/pipelined')
  })

  it('401, 404 and 405 on requests with bodies leave the connection usable', async () => {
    const { conn } = await start()
    await refusedThenReused(conn, withLength('POST', '/_admin/keys', 20_000), 401)
    await refusedThenReused(conn, chunked('POST', '/nowhere', 40_000), 404)
    await refusedThenReused(conn, withLength('POST', '/only-get/x', 40_000), 405)
    await refusedThenReused(conn, chunked('PUT', '/keyed/x', 40_000), 401)
  })
})

/** Writes `data` in two halves 1 s apart, as a slow client would: the server must still be reading after a second. */
const sendSlowly = async (conn: RawConnection, data: Buffer): Promise<Error | undefined> => {
  try {
    const half = data.length >> 1
    await conn.write(data.subarray(0, half))
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    await conn.write(data.subarray(half))
    return undefined
  } catch (error) {
    return error as Error
  }
}

describe('a body past the drain bound closes the connection cleanly', () => {
  for (const path of ['/_admin/keys', '/small/big']) {
    it(`1.3 MB chunked with Connection: close to ${path}: the client reads the 413, no reset`, async () => {
      const { conn } = await start()
      const sent = sendSlowly(conn, chunked('POST', path, 1_300_000, { ...AUTH, connection: 'close' }))
      const answer = await conn.response()
      expect(answer.status).toBe(413)
      expect(answer.headers.connection).toBe('close')
      expect(await sent).toBeUndefined() // the whole body went out: the gateway kept reading while it closed
      expect(await conn.closed()).toBe('end')
    })
  }

  it('an announced body over the bound on a keep-alive connection: 413 with Connection: close, then a clean end', async () => {
    const { conn } = await start()
    // Nothing of the body is read: the answer comes at once, then the gateway ends its side (the client, seeing
    // the FIN, stops sending: its second half fails locally, not with a reset from the gateway).
    const sent = sendSlowly(conn, withLength('POST', '/small/huge', 3_000_000))
    const answer = await conn.response()
    expect(answer.status).toBe(413)
    expect(answer.headers.connection).toBe('close')
    expect(await conn.closed()).toBe('end')
    await sent
  })
})
