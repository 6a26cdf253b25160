import { request } from 'node:http'
import { type AddressInfo, type Socket, connect as tcpConnect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { APIGateway } from '../gateway.js'
import { retainedHeap } from '../testing/full-gc.js'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'

const h = createHarness()
afterEach(() => h.close())

interface EchoServer {
  url: string
  server: WebSocketServer
  /** Request headers of each upgrade the server accepted, with its path. */
  seen: Array<{ path: string; headers: Record<string, string | string[] | undefined> }>
}

/** A `ws` echo server on 127.0.0.1:0, closed after the test. */
const echoServer = async (options: ConstructorParameters<typeof WebSocketServer>[0] = {}, record = true): Promise<EchoServer> => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options })
  const seen: EchoServer['seen'] = []
  server.on('connection', (socket, req) => {
    if (record) seen.push({ path: req.url ?? '', headers: req.headers })
    socket.on('message', (data, binary) => socket.send(data, { binary }))
  })
  await new Promise((resolve) => server.once('listening', resolve))
  h.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen }
}

/** Opens a client; resolves with it once open, or with the status of the answer that refused it. */
const connect = (url: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers })
    h.defer(() => socket.terminate())
    socket.once('open', () => resolve({ socket, status: 101, body: '' }))
    socket.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ socket, status: res.statusCode ?? 0, body }))
    })
    socket.once('error', reject)
  })

const echo = (socket: WebSocket, message: string): Promise<string> =>
  new Promise((resolve) => {
    socket.once('message', (data) => resolve(String(data)))
    socket.send(message)
  })

/** The close code; -1 when the socket had already closed. */
const closed = (socket: WebSocket): Promise<number> =>
  new Promise((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve(-1) : socket.once('close', (code) => resolve(code))))

/** A WebSocket handshake written by hand on a TCP socket, with `extra` bytes in the same write. */
const rawUpgrade = async (port: number, extra: Buffer): Promise<Socket> => {
  const socket = tcpConnect(port, '127.0.0.1')
  h.defer(() => socket.destroy())
  await new Promise((resolve) => socket.once('connect', resolve))
  const head =
    'GET /chat HTTP/1.1\r\nHost: gateway\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  socket.write(Buffer.concat([Buffer.from(head), extra]))
  return socket
}

describe('WebSocket proxying', () => {
  it('tunnels an upgrade through a route both ways and counts it', async () => {
    const up = await echoServer()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/chat', up.url, { id: 'chat' }))
    const { socket, status } = await connect(`${url}/chat/room?x=1`)
    expect(status).toBe(101)
    expect(await echo(socket, 'hello')).toBe('hello')
    expect(await echo(socket, 'x'.repeat(100_000))).toHaveLength(100_000)
    expect(up.seen[0]!.path).toBe('/chat/room?x=1')
    expect(up.seen[0]!.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(up.seen[0]!.headers.host).toBe(new URL(up.url).host)
    const stats = gateway.metrics.snapshot().websockets as Record<string, number>
    expect(stats).toMatchObject({ open: 1, total: 1 })
    expect(stats.bytes_from_clients).toBeGreaterThan(100_000)
    expect(stats.bytes_to_clients).toBeGreaterThan(100_000)
    const prometheus = await (await fetch(`${url}/_metrics/prometheus`)).text()
    expect(prometheus).toContain('tollgate_websocket_tunnels_open 1')
    expect(prometheus).toMatch(/tollgate_websocket_bytes_total\{direction="upstream_to_client"\} \d{6}/)
    socket.close()
    await closed(socket)
    await expect.poll(() => (gateway.metrics.snapshot().websockets as Record<string, number>).open).toBe(0)
  })

  it('carries large messages both ways intact, with backpressure', async () => {
    const up = await echoServer()
    const { url } = await h.gateway((g) => g.registerRoute('/chat', up.url))
    const { socket } = await connect(`${url}/chat`)
    const big = Buffer.alloc(8 * 1024 * 1024)
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i)
    const back = await new Promise<Buffer>((resolve) => {
      socket.once('message', (data) => resolve(data as Buffer))
      socket.send(big)
    })
    expect(back.equals(big)).toBe(true)
  })

  it('runs auth before the upstream: 401 without a key, a tunnel with one', async () => {
    const up = await echoServer()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/chat', up.url, { requireAuth: true }))
    const refused = await connect(`${url}/chat`)
    expect(refused.status).toBe(401)
    expect(JSON.parse(refused.body).error.code).toBe('missing_api_key')
    expect(up.seen).toHaveLength(0)
    const key = await gateway.apiKeyManager.createApiKey('chat app')
    const { socket, status } = await connect(`${url}/chat`, { 'x-api-key': key })
    expect(status).toBe(101)
    expect(await echo(socket, 'hi')).toBe('hi')
    expect(up.seen[0]!.headers['x-api-key']).toBeUndefined()
  })

  it('spends one rate-limit unit per connection: 429 past the limit', async () => {
    const up = await echoServer()
    const { url } = await h.gateway((g) => g.registerRoute('/chat', up.url, { rateLimit: { requestsPerMinute: 2 } }))
    const first = await connect(`${url}/chat`)
    expect(await echo(first.socket, 'a')).toBe('a')
    expect(await echo(first.socket, 'b')).toBe('b')
    expect((await connect(`${url}/chat`)).status).toBe(101)
    const third = await connect(`${url}/chat`)
    expect(third.status).toBe(429)
    expect(JSON.parse(third.body).error.code).toBe('rate_limited')
  })

  it('goes through the upstream limit on routes that set one', async () => {
    const up = await echoServer()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/chat', up.url, { upstreamLimit: { requestsPerSecond: 50 } }))
    const { socket, status } = await connect(`${url}/chat`)
    expect(status).toBe(101)
    expect(await echo(socket, 'paced')).toBe('paced')
    expect(gateway.upstreamStatus()[0]!.callers).toHaveLength(1)
  })

  it('carries bytes the client sent right behind its request head (the upgrade head)', async () => {
    const up = await echoServer()
    const { port } = await h.gateway((g) => g.registerRoute('/chat', up.url))
    const mask = [1, 2, 3, 4]
    const payload = Buffer.from('early').map((byte, i) => byte ^ mask[i & 3]!)
    // One write: the handshake and a masked text frame, so the frame reaches the gateway with the request head.
    const socket = await rawUpgrade(port, Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, ...mask]), payload]))
    let received = Buffer.alloc(0)
    await new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk])
        if (received.includes('early')) resolve()
      }),
    )
    const text = received.toString('latin1')
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/)
    expect(text).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
    expect(text.endsWith('\x81\x05early')).toBe(true)
  })

  it('counts refusals with a 5xx against the circuit breaker', async () => {
    const up = await echoServer({ verifyClient: (_info, done) => done(false, 503, 'Down') })
    const { url } = await h.gateway((g) => g.registerRoute('/chat', up.url, { circuitBreaker: { failureThreshold: 2 } }))
    expect((await connect(`${url}/chat`)).status).toBe(503)
    expect((await connect(`${url}/chat`)).status).toBe(503)
    const open = await connect(`${url}/chat`)
    expect(open.status).toBe(503)
    expect(JSON.parse(open.body).error.code).toBe('circuit_open')
  })

  it("passes an upstream's refusal (no 101) through with its status", async () => {
    const up = await echoServer({ verifyClient: (_info, done) => done(false, 403, 'Forbidden') })
    const { url } = await h.gateway((g) => g.registerRoute('/chat', up.url))
    expect((await connect(`${url}/chat`)).status).toBe(403)
  })

  it('answers 502 when the upstream cannot be reached', async () => {
    const up = await echoServer()
    const dead = up.url
    await new Promise((resolve) => up.server.close(resolve))
    const { url } = await h.gateway((g) => g.registerRoute('/chat', dead))
    expect((await connect(`${url}/chat`)).status).toBe(502)
  })

  it('closes the client socket when the upstream dies mid-stream', async () => {
    const up = await echoServer()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/chat', up.url))
    const { socket } = await connect(`${url}/chat`)
    expect(await echo(socket, 'before')).toBe('before')
    for (const client of up.server.clients) client.terminate()
    await closed(socket)
    await expect.poll(() => (gateway.metrics.snapshot().websockets as Record<string, number>).open).toBe(0)
  })

  it('answers 501 websocket_not_supported on a route with websocket: false, before any stage', async () => {
    const up = await echoServer()
    const { url } = await h.gateway((g) => g.registerRoute('/chat', up.url, { websocket: false, rateLimit: { requestsPerMinute: 1 } }))
    for (let i = 0; i < 2; i++) {
      const refused = await connect(`${url}/chat`)
      expect(refused.status).toBe(501)
      expect(JSON.parse(refused.body).error.code).toBe('websocket_not_supported')
    }
    expect(up.seen).toHaveLength(0)
  })

  it('answers 501 to other Upgrade values (h2c)', async () => {
    const up = await echoServer()
    const { port } = await h.gateway((g) => g.registerRoute('/chat', up.url))
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/chat',
        headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQAoAAAAAIAAAAA' },
      })
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(501)
  })

  it('closes idle tunnels and tunnels past their lifetime', async () => {
    const up = await echoServer()
    const { url } = await h.gateway((g) => {
      g.registerRoute('/idle', up.url, { websocket: { idleTimeoutMs: 150 } })
      g.registerRoute('/short', up.url, { websocket: { maxLifetimeMs: 300 } })
    })
    const idle = await connect(`${url}/idle`)
    const started = Date.now()
    expect(await closed(idle.socket)).toBe(1001)
    expect(Date.now() - started).toBeLessThan(2_000)
    const short = await connect(`${url}/short`)
    const chatter = setInterval(() => short.socket.send('.'), 50)
    expect(await closed(short.socket)).toBe(1001)
    clearInterval(chatter)
  })

  it("outlives the server's request and headers timeouts, which are for HTTP requests", async () => {
    const up = await echoServer()
    const { url } = await h.gateway((g) => g.registerRoute('/chat', up.url), {
      server: { requestTimeoutMs: 300, headersTimeoutMs: 200, keepAliveTimeoutMs: 100 },
    })
    const { socket } = await connect(`${url}/chat`)
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect(socket.readyState).toBe(WebSocket.OPEN)
    expect(await echo(socket, 'still here')).toBe('still here')
  })

  it('rejects unknown websocket options', () => {
    const gateway = new APIGateway({ logger: captureLogger() })
    expect(() => gateway.registerRoute('/x', 'http://127.0.0.1:1', { websocket: { idle: 5 } as never })).toThrow(/websocket/)
    expect(() => new APIGateway({ logger: captureLogger(), websocket: { maxLifetimeMs: 0 } })).toThrow(/websocket\.maxLifetimeMs/)
  })

  it('closes open tunnels on stop() and counts them', async () => {
    const up = await echoServer()
    const logger = captureLogger()
    const gateway = new APIGateway({ logger })
    gateway.registerRoute('/chat', up.url)
    const { url } = await gateway.start({ port: 0 })
    const sockets = await Promise.all([1, 2, 3].map(async () => (await connect(`${url}/chat`)).socket))
    const clientCodes = sockets.map(closed)
    const upstreamCodes = [...up.server.clients].map(closed)
    // A message in flight when stop() is called: the Close frame goes after it, never inside it.
    sockets[0]!.send('x'.repeat(200_000))
    await gateway.stop()
    expect(await Promise.all(clientCodes)).toEqual([1001, 1001, 1001])
    expect(await Promise.all(upstreamCodes)).toEqual([1001, 1001, 1001])
    expect(gateway.metrics.snapshot().websockets).toMatchObject({ open: 0, total: 3, closed_on_stop: 3 })
    expect(logger.lines).toContain('stop: closed 3 WebSocket tunnels')
  })

  it('stop() also closes a tunnel whose handshake was still under way', async () => {
    const up = await echoServer({ verifyClient: (_info, done) => void setTimeout(() => done(true), 300) })
    const gateway = new APIGateway({ logger: captureLogger() })
    gateway.registerRoute('/chat', up.url)
    const { url } = await gateway.start({ port: 0 })
    const opening = connect(`${url}/chat`)
    // Listen for the close as soon as the socket opens: stop() may finish after the tunnel has opened and closed.
    const closing = opening.then(({ socket }) => closed(socket))
    await expect.poll(() => up.server.clients.size + gateway.routeStatuses()[0]!.targets[0]!.inFlight).toBe(1)
    const started = Date.now()
    await gateway.stop()
    const { status } = await opening
    expect(status).toBe(101)
    expect(await closing).toBe(1001)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(gateway.metrics.snapshot().websockets).toMatchObject({ open: 0, total: 1, closed_on_stop: 1 })
  })

  it('stop() past shutdownTimeoutMs drops an upgrade still waiting in a stage', async () => {
    const up = await echoServer()
    const gateway = new APIGateway({ logger: captureLogger(), shutdownTimeoutMs: 200 })
    gateway.registerRoute('/chat', up.url, { upstreamLimit: { requestsPerMinute: 1, burstSize: 1, fairShare: false } })
    const { url } = await gateway.start({ port: 0 })
    const first = await connect(`${url}/chat`)
    expect(first.status).toBe(101)
    // The upstream's budget is spent: this one waits in the upstream limit's queue (up to maxWaitMs, 60 s).
    const waiting = new WebSocket(`${url.replace(/^http/, 'ws')}/chat`)
    h.defer(() => waiting.terminate())
    const refused = new Promise((resolve) => waiting.once('error', resolve))
    await expect.poll(() => gateway.upstreamStatus()[0]!.queued).toBe(1)
    const started = Date.now()
    await gateway.stop()
    await refused
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('stop() cuts off a side stalled inside a frame after a short grace', async () => {
    const up = await echoServer()
    const gateway = new APIGateway({ logger: captureLogger() })
    gateway.registerRoute('/chat', up.url)
    const { port } = await gateway.start({ port: 0 })
    // A binary frame announcing 1,000 bytes, of which 3 arrive: the stream never reaches a frame boundary.
    const socket = await rawUpgrade(port, Buffer.from([0x82, 0x80 | 126, 0x03, 0xe8, 1, 2, 3, 4, 9, 9, 9]))
    const ended = new Promise((resolve) => socket.once('close', resolve))
    socket.resume()
    await expect.poll(() => (gateway.metrics.snapshot().websockets as Record<string, number>).open).toBe(1)
    const started = Date.now()
    await gateway.stop()
    await ended
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('holds 1,000 concurrent tunnels in bounded memory and gives it back when they close', async () => {
    const up = await echoServer({}, false)
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/chat', up.url))
    const live: WebSocket[] = []
    h.defer(() => {
      for (const socket of live) socket.terminate()
    })
    const openTunnels = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 100) {
        const batch = Array.from({ length: Math.min(100, count - i) }, () => {
          const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/chat`)
          live.push(socket)
          return new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject))
        })
        await Promise.all(batch)
      }
      await Promise.all(live.map((socket) => echo(socket, 'ping')))
    }
    const openCount = () => (gateway.metrics.snapshot().websockets as Record<string, number>).open
    const closeTunnels = async (): Promise<void> => {
      for (const socket of live) socket.close()
      await Promise.all(live.map(closed))
      live.length = 0
      await expect.poll(openCount, { timeout: 10_000 }).toBe(0)
    }
    await openTunnels(100) // warm up: code paths compiled, pools and caches at their steady size
    await closeTunnels()
    const baseline = retainedHeap()
    await openTunnels(1_000)
    expect(openCount()).toBe(1_000)
    // Client, both gateway sockets and the upstream's side, all in this process: still well under 64 KiB a tunnel.
    const perTunnel = (retainedHeap() - baseline) / 1_000
    expect(perTunnel).toBeLessThan(64 * 1024)
    await closeTunnels()
    // Leaking every tunnel (its sockets, over 10 KiB each) would keep more than 10 MiB; what V8 itself keeps after a
    // burst of connections (code, weak lists) measured under 1.3 MiB.
    expect(retainedHeap() - baseline).toBeLessThan(4 * 1024 * 1024)
  }, 60_000)
})
