// The bundled demo upstream: a few JSON endpoints on a loopback port, so the default config answers at once.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DemoUpstreamConfig } from './validate-config.js'

export interface DemoUpstream {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

const USERS = [
  { id: 1, name: 'Ada Lovelace' },
  { id: 2, name: 'Alan Turing' },
  { id: 3, name: 'Grace Hopper' },
]

/** Echoed body text is cut here; the body itself is always read to its end (up to MAX_READ_BYTES). */
const MAX_ECHO_BYTES = 64 * 1024
/** Past this the demo stops reading and answers with `Connection: close`, so no pooled connection is left mid-body. */
const MAX_READ_BYTES = 8 * 1024 * 1024

interface ReadBody {
  text: string
  bytes: number
  /** False when reading stopped at MAX_READ_BYTES: the answer must close the connection. */
  complete: boolean
}

const send = (res: ServerResponse, status: number, body: unknown, close = false): void => {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...(close ? { connection: 'close' } : {}),
  })
  res.end(payload)
}

const readBody = async (req: IncomingMessage): Promise<ReadBody> => {
  const kept: Buffer[] = []
  let keptBytes = 0
  let bytes = 0
  // destroyOnReturn: false, so stopping early leaves the socket to the Connection: close answer rather than a reset.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (keptBytes < MAX_ECHO_BYTES) {
      const part = chunk.subarray(0, MAX_ECHO_BYTES - keptBytes)
      kept.push(part)
      keptBytes += part.length
    }
    if (bytes > MAX_READ_BYTES) return { text: Buffer.concat(kept).toString('utf8'), bytes, complete: false }
  }
  return { text: Buffer.concat(kept).toString('utf8'), bytes, complete: true }
}

const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const { pathname } = new URL(req.url ?? '/', 'http://demo')
  const path = pathname.replace(/\/+$/, '') || '/'
  const user = /^\/api\/users\/(\d+)$/.exec(path)
  if (path === '/health') return send(res, 200, { status: 'ok' })
  if (path === '/api/hello') {
    return send(res, 200, { message: 'Hello from the Tollgate demo upstream', method: req.method, time: new Date().toISOString() })
  }
  if (path === '/api/users' && req.method === 'POST') {
    const body = await readBody(req)
    let parsed: unknown
    try {
      parsed = body.text ? JSON.parse(body.text) : {}
    } catch {
      return send(res, 400, { error: 'body must be JSON' }, !body.complete)
    }
    return send(res, 201, { id: USERS.length + 1, ...(parsed as object) })
  }
  if (path === '/api/users') return send(res, 200, USERS)
  if (user) {
    const found = USERS.find((u) => u.id === Number(user[1]))
    return found ? send(res, 200, found) : send(res, 404, { error: `no user ${user[1]}` })
  }
  if (path === '/api/echo') {
    const body = await readBody(req)
    const echo = { method: req.method, url: req.url, headers: req.headers, body: body.text, bodyBytes: body.bytes }
    return send(res, 200, echo, !body.complete)
  }
  return send(res, 404, { error: `the demo upstream has no ${path}; try /api/hello, /api/users, /api/users/1 or /api/echo` })
}

/**
 * Starts the demo upstream on 127.0.0.1: GET /api/hello, GET|POST /api/users, GET /api/users/:id, ANY /api/echo (echoes
 * the first 64 KiB of the body and its size; bodies are always read to the end, or the answer closes the connection),
 * GET /health; `latencyMs` delays every answer and `failureRate` answers that share with 503.
 */
export const startDemoUpstream = async (options: DemoUpstreamConfig = {}): Promise<DemoUpstream> => {
  const server = createServer((req, res) => {
    const run = async () => {
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs))
      if (res.destroyed) return
      if (options.failureRate && Math.random() < options.failureRate) return send(res, 503, { error: 'demo failure (failureRate)' })
      await answer(req, res)
    }
    run().catch(() => res.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
