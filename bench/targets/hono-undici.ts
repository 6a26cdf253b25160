// Bench reference: a minimal Hono + undici Pool proxy, the floor for a Hono gateway; LIMITER=memory|redis puts
// rate-limiter-flexible's limiter (RateLimiterMemory, or RateLimiterRedis on REDIS_URL) in front, per client IP.
import { serve } from '@hono/node-server'
import { Hono, type MiddlewareHandler } from 'hono'
import { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { type Dispatcher, Pool } from 'undici'
import { announce, listenHost, upstreamUrlFromEnv } from '../lib/target-runtime.js'

const pool = new Pool(upstreamUrlFromEnv(), { connections: 256 })
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection', 'host'])

/** Never rejects (as Tollgate's bench limit): the limiter does all its work and always admits. */
const limiterOf = (kind: string | undefined): RateLimiterAbstract | undefined => {
  if (kind === undefined || kind === '') return undefined
  if (kind === 'memory') return new RateLimiterMemory({ points: 1e12, duration: 60 })
  if (kind === 'redis') return new RateLimiterRedis({ storeClient: new Redis(process.env.REDIS_URL ?? ''), points: 1e12, duration: 60 })
  throw new Error(`LIMITER=${kind}: expected memory or redis`)
}
const limiter = limiterOf(process.env.LIMITER)

/**
 * One exchange through the pool's dispatch() (cheaper per request than pool.request(), which wraps the answer in a
 * stream and an AsyncResource): status, raw headers, the whole body. A small body answered as bytes takes
 * @hono/node-server's fast path.
 */
const exchange = (options: Dispatcher.DispatchOptions): Promise<{ status: number; raw: Buffer[]; bytes: Buffer }> =>
  new Promise((resolve, reject) => {
    let status = 0
    let raw: Buffer[] = []
    const chunks: Buffer[] = []
    const handler = {
      onConnect() {},
      onHeaders(code: number, headers: Buffer[]) {
        status = code
        raw = headers
        return true
      },
      onData(chunk: Buffer) {
        chunks.push(chunk)
        return true
      },
      onComplete() {
        resolve({ status, raw, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) })
      },
      onError: reject,
    }
    pool.dispatch(options, handler as unknown as Dispatcher.DispatchHandler)
  })

const limit: MiddlewareHandler = async (c, next) => {
  try {
    await limiter!.consume(c.env.incoming.socket.remoteAddress ?? '')
  } catch {
    return c.json({ error: 'rate limited' }, 429)
  }
  await next()
}

const app = new Hono<{ Bindings: { incoming: import('node:http').IncomingMessage } }>()
if (limiter) app.use(limit)
app.all('*', async (c) => {
  const url = c.req.url
  const path = url.slice(url.indexOf('/', url.indexOf('//') + 2))
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value
  })
  const stream = c.req.method === 'GET' || c.req.method === 'HEAD' ? null : c.req.raw.body
  const body = stream === null ? null : Readable.fromWeb(stream as NodeReadableStream)
  const { status, raw, bytes } = await exchange({ path, method: c.req.method as 'GET', headers, body })
  const out = new Headers()
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase()
    if (!HOP_BY_HOP.has(name)) out.append(name, raw[i + 1]!.toString('latin1'))
  }
  return new Response(bytes, { status, headers: out })
})

const server = serve({ fetch: app.fetch, port: 0, hostname: listenHost }, (info: AddressInfo) => {
  announce(info.port, {
    close: async () => {
      server.close()
      await pool.close()
    },
  })
})
