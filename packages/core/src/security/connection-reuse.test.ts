// Refused requests (413, 401, 404, 405) leave their connection usable, or close it only after the answer is read.
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { chunked, get, openConnection, withLength, type RawConnection } from './raw-connection.test-helper.js'

const TOKEN = 'admin-token-0123456789'
const AUTH = { authorization: `Bearer ${TOKEN}` }

const h = createHarness()
afterEach(() => h.close())

const start = async (connection: { allowHalfOpen?: boolean } = {}) => {
  const up = await h.upstream()
  const { url } = await h.gateway(
    (g) => {
      g.registerRoute('/small', up.url, { maxBodyBytes: 1_000 })
      g.registerRoute('/only-get', up.url, { methods: ['GET'] })
      g.registerRoute('/keyed', up.url, { requireAuth: true })
      g.registerRoute('/open', up.url)
      g.registerRoute('/limited', up.url, { rateLimit: { requestsPerMinute: 1 } })
    },
    { adminToken: TOKEN },
  )
  const conn = await openConnection(url, connection)
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

  it('401, 404, 405 and 429 on requests with bodies leave the connection usable', async () => {
    const { conn } = await start()
    await refusedThenReused(conn, withLength('POST', '/limited/x', 40_000), 200)
    await refusedThenReused(conn, chunked('POST', '/limited/x', 40_000), 429)
    await refusedThenReused(conn, withLength('POST', '/_admin/keys', 20_000), 401)
    await refusedThenReused(conn, chunked('POST', '/nowhere', 40_000), 404)
    await refusedThenReused(conn, withLength('POST', '/only-get/x', 40_000), 405)
    await refusedThenReused(conn, chunked('PUT', '/keyed/x', 40_000), 401)
  })
})

/**
 * Writes `data` as a slow uploader would: 600 kB, then up to 1.2 MB (past the 1 MiB drain bound, so the answer
 * comes with Connection: close), then the rest 400 ms later, after the gateway has sent its answer and FIN.
 * Resolves to the write error, if any (EPIPE when the gateway closed its socket instead of lingering).
 */
const sendSlowly = async (conn: RawConnection, data: Buffer): Promise<string | undefined> => {
  try {
    for (const [from, to] of [
      [0, 600_000],
      [600_000, 1_200_000],
      [1_200_000, data.length],
    ] as const) {
      await conn.write(data.subarray(from, to))
      await new Promise((resolve) => setTimeout(resolve, 400))
    }
    return undefined
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error)
  }
}

describe('a body past the drain bound closes the connection cleanly', () => {
  for (const path of ['/_admin/keys', '/small/big']) {
    it(`1.3 MB chunked with Connection: close to ${path}: the client reads the 413, no reset`, async () => {
      // Half-open like an uploading client: it goes on sending its body after the gateway's FIN.
      const { conn } = await start({ allowHalfOpen: true })
      const sent = sendSlowly(conn, chunked('POST', path, 1_300_000, { ...AUTH, connection: 'close' }))
      const answer = await conn.response()
      expect(answer.status).toBe(413)
      expect(answer.headers.connection).toBe('close')
      expect(await conn.closed()).toBe('end')
      expect(await sent).toBeUndefined() // the whole body went out: the gateway kept reading while it closed
      expect(conn.errors).toEqual([])
    })
  }

  it('an announced body over the bound on a keep-alive connection: 413 with Connection: close, then a clean end', async () => {
    // Nothing of the body is waited for: the answer comes at once, then the gateway ends its side and reads on.
    const { conn } = await start({ allowHalfOpen: true })
    const sent = sendSlowly(conn, withLength('POST', '/small/huge', 1_500_000))
    const answer = await conn.response()
    expect(answer.status).toBe(413)
    expect(answer.headers.connection).toBe('close')
    expect(await conn.closed()).toBe('end')
    expect(await sent).toBeUndefined()
    expect(conn.errors).toEqual([])
  })
})
