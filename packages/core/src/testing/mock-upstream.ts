// A real HTTP upstream for tests, examples and benchmarks: echoes requests, counts them, can be slow or fail.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  bodyBytes: number
}

export interface MockUpstreamOptions {
  /** Fixed latency added before answering, in ms. */
  latencyMs?: number
  /** Share of requests (0..1) answered with `failureStatus`. */
  failureRate?: number
  failureStatus?: number
  /** Custom handler: return true when it answered the request itself. */
  handler?: (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined) => boolean | void | Promise<boolean | void>
  /** Keep request bodies in `received` (bounded to 1 MiB each); off by default so big uploads stay cheap. */
  keepBodies?: boolean
  port?: number
  host?: string
}

export interface MockUpstream {
  readonly url: string
  readonly port: number
  readonly server: Server
  /** Requests received so far, in arrival order. */
  readonly received: ReceivedRequest[]
  /** Count of requests received (including ones still in progress). */
  count(): number
  reset(): void
  /** Replace options at runtime (latency, failure rate, handler). */
  configure(options: Partial<MockUpstreamOptions>): void
  close(): Promise<void>
}

const defaultAnswer = (req: IncomingMessage, res: ServerResponse, bodyBytes: number) => {
  const payload = JSON.stringify({ ok: true, method: req.method, url: req.url, bodyBytes, headers: req.headers })
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) })
  res.end(payload)
}

/**
 * Starts a mock upstream on 127.0.0.1 (port 0 by default).
 * @example
 * const upstream = await startMockUpstream({ latencyMs: 5 })
 * gateway.registerRoute('/api', upstream.url)
 */
export const startMockUpstream = async (initial: MockUpstreamOptions = {}): Promise<MockUpstream> => {
  let options = { ...initial }
  const received: ReceivedRequest[] = []
  const server = createServer(async (req, res) => {
    const record: ReceivedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, bodyBytes: 0 }
    received.push(record)
    const chunks: Buffer[] = []
    let kept = 0
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        record.bodyBytes += chunk.length
        if (options.keepBodies && kept < 1 << 20) {
          chunks.push(chunk)
          kept += chunk.length
        }
      }
    } catch {
      return // client went away mid-body
    }
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs))
    if (res.destroyed) return
    const body = options.keepBodies ? Buffer.concat(chunks) : undefined
    if (options.handler && (await options.handler(req, res, body))) return
    if (options.failureRate && Math.random() < options.failureRate) {
      res.writeHead(options.failureStatus ?? 500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: false }))
      return
    }
    defaultAnswer(req, res, record.bodyBytes)
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    received,
    count: () => received.length,
    reset: () => void (received.length = 0),
    configure: (next) => void (options = { ...options, ...next }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
