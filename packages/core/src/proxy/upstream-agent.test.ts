// HTTP/2 and TLS to upstreams, against real node:http2 / node:https servers and certificates made by openssl.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import { createServer as createHTTPSServer, type Server as HTTPSServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { APIGateway } from '../gateway.js'
import type { RouteOptions } from '../routing/route.js'
import { createHarness } from '../testing/gateway-harness.js'
import { type RawResponse, rawRequest } from '../testing/http-client.js'

interface PKI {
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  otherCA: string
}

/** A local CA, a server certificate for `upstream.test` and 127.0.0.1, a client certificate, and an unrelated CA. */
const makePKI = (dir: string): PKI => {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Tollgate Test CA')
  openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=Other CA')
  const issue = (name: string, subject: string, extensions: string) => {
    openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, '-addext', extensions)
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-copy_extensions',
      'copy',
      '-out',
      `${name}.crt`,
    )
  }
  issue('server', '/CN=upstream.test', 'subjectAltName=DNS:upstream.test,IP:127.0.0.1')
  issue('client', '/CN=tollgate-client', 'extendedKeyUsage=clientAuth')
  const read = (file: string) => readFileSync(join(dir, file), 'utf8')
  return {
    ca: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    otherCA: read('other.crt'),
  }
}

let dir: string
let pki: PKI
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-'))
  pki = makePKI(dir)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const h = createHarness()
afterEach(() => h.close())

interface TLSUpstream {
  url: string
  /** HTTP/2 sessions the server accepted. */
  sessions: () => number
  /** TLS connections (any protocol) and the SNI each one sent. */
  connections: Array<{ servername: string | false | null; alpn: string | false | null }>
  open: () => number
}

type Handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void

/** Answers `{ httpVersion, clientCN }` after `delayMs`, so concurrent requests overlap. */
const answer =
  (delayMs: number): Handler =>
  (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate?.()
    let received = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      received += chunk
    })
    req.on('end', () => {
      const body: Record<string, unknown> = { httpVersion: req.httpVersion, clientCN: peer?.subject?.CN ?? null }
      if (received !== '') body.received = received
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }, delayMs)
    })
  }

const listen = async (server: Http2SecureServer | HTTPSServer): Promise<TLSUpstream> => {
  let sessions = 0
  let open = 0
  const connections: TLSUpstream['connections'] = []
  server.on('session', () => sessions++)
  server.on('secureConnection', (socket: TLSSocket) => {
    open++
    connections.push({ servername: socket.servername, alpn: socket.alpnProtocol })
    socket.on('close', () => open--)
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  h.defer(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      }),
  )
  return { url: `https://127.0.0.1:${port}`, sessions: () => sessions, connections, open: () => open }
}

/** A node:http2 secure server that also speaks HTTP/1.1 (allowHTTP1). */
const h2Upstream = (options: { requestCert?: boolean; delayMs?: number } = {}) =>
  listen(
    createSecureServer(
      {
        key: pki.serverKey,
        cert: pki.serverCert,
        allowHTTP1: true,
        ...(options.requestCert ? { requestCert: true, rejectUnauthorized: true, ca: pki.ca } : {}),
      },
      answer(options.delayMs ?? 0),
    ),
  )

/** A node:https server that offers only http/1.1 in ALPN. */
const h1Upstream = () => listen(createHTTPSServer({ key: pki.serverKey, cert: pki.serverCert, ALPNProtocols: ['http/1.1'] }, answer(0)))

const through = async (upstreamUrl: string, options: RouteOptions) => {
  const { url, gateway } = await h.gateway((g) => g.registerRoute('/up', upstreamUrl, { retry: { attempts: 1 }, ...options }))
  return { gateway, get: (path = '/up/x') => rawRequest(url, path) }
}

describe('http2 to upstreams', () => {
  const concurrently = (get: () => Promise<RawResponse>, n: number) => Promise.all(Array.from({ length: n }, () => get()))

  it('multiplexes concurrent requests on one HTTP/2 connection', async () => {
    const up = await h2Upstream({ delayMs: 50 })
    const { get } = await through(up.url, { http2: true, tls: { ca: pki.ca } })
    // undici's pool opens a connection per request that arrives while the first TLS handshake runs: warm it first.
    expect((await get()).json()).toEqual({ httpVersion: '2.0', clientCN: null })
    for (let round = 0; round < 2; round++) {
      const answers = await concurrently(get, 20)
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200))
      expect(answers.every((r) => r.json().httpVersion === '2.0')).toBe(true)
    }
    expect(up.sessions()).toBe(1)
    expect(up.connections).toEqual([{ servername: false, alpn: 'h2' }])
  })

  it('http2MaxConcurrentStreams opens another connection past the stream limit; maxConnectionsPerOrigin caps them', async () => {
    const up = await h2Upstream({ delayMs: 50 })
    const { get } = await through(up.url, { http2: true, http2MaxConcurrentStreams: 5, tls: { ca: pki.ca } })
    expect((await get()).status).toBe(200)
    expect((await concurrently(get, 20)).map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(up.sessions()).toBeGreaterThanOrEqual(4)

    const capped = await h2Upstream({ delayMs: 50 })
    const { url } = await h.gateway(
      (g) => g.registerRoute('/up', capped.url, { http2: true, http2MaxConcurrentStreams: 5, tls: { ca: pki.ca } }),
      { maxConnectionsPerOrigin: 2 },
    )
    const answers = await concurrently(() => rawRequest(url, '/up/x'), 20)
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(capped.sessions()).toBe(2)
  })

  it('falls back to HTTP/1.1 when the upstream offers only http/1.1 in ALPN', async () => {
    const up = await h1Upstream()
    const { get } = await through(up.url, { http2: true, tls: { ca: pki.ca } })
    for (let round = 0; round < 2; round++) {
      const answers = await concurrently(get, 10)
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200))
      expect(answers.every((r) => r.json().httpVersion === '1.1')).toBe(true)
    }
    expect(up.connections[0]).toEqual({ servername: false, alpn: 'http/1.1' })
    // Once the origin answered http/1.1, a burst spreads over connections instead of queueing behind one.
    expect(up.connections.length).toBeGreaterThan(1)
  })

  it('on a plain http:// target http2 changes nothing', async () => {
    const up = await h.upstream()
    const { get } = await through(up.url, { http2: true })
    expect((await concurrently(get, 5)).map((r) => r.status)).toEqual(Array(5).fill(200))
    expect(up.count()).toBe(5)
  })

  it('without http2 a route speaks HTTP/1.1 to the same allowHTTP1 server', async () => {
    const up = await h2Upstream()
    const { get } = await through(up.url, { tls: { ca: pki.ca } })
    expect((await get()).json().httpVersion).toBe('1.1')
    expect(up.sessions()).toBe(0)
  })

  it('carries request bodies, small and streamed, alongside concurrent GETs', async () => {
    const up = await h2Upstream({ delayMs: 20 })
    const { url } = await h.gateway((g) => g.registerRoute('/up', up.url, { http2: true, tls: { ca: pki.ca } }))
    const big = 'x'.repeat(200_000)
    const [small, streamed, ...gets] = await Promise.all([
      rawRequest(url, '/up/a', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }),
      rawRequest(url, '/up/b', { method: 'PUT', body: big, headers: { 'content-type': 'text/plain' } }),
      ...Array.from({ length: 5 }, () => rawRequest(url, '/up/c')),
    ])
    expect(small?.json()).toEqual({ httpVersion: '2.0', clientCN: null, received: 'hello' })
    expect(streamed?.json().received).toHaveLength(big.length)
    expect(gets.map((r) => r.status)).toEqual(Array(5).fill(200))
  })

  it('gateway stop closes the HTTP/2 sessions of per-route dispatchers; /_metrics counts them meanwhile', async () => {
    const up = await h2Upstream()
    const { gateway, get } = await through(up.url, { http2: true, tls: { ca: pki.ca } })
    expect((await get()).status).toBe(200)
    expect(up.open()).toBe(1)
    expect((await get('/_metrics')).json().upstream_connections[`${up.url}`]).toMatchObject({ connected: 1 })
    await gateway.stop()
    await vi.waitFor(() => expect(up.open()).toBe(0), { timeout: 5_000, interval: 20 })
  })
})

describe('tls to upstreams', () => {
  it('refuses an upstream certificate from an unknown CA (502 bad_gateway); ca makes it work', async () => {
    const up = await h2Upstream()
    const refused = await (await through(up.url, {})).get()
    expect(refused.status).toBe(502)
    expect(refused.json().error.code).toBe('bad_gateway')
    const wrongCA = await (await through(up.url, { tls: { ca: [pki.otherCA] } })).get()
    expect(wrongCA.status).toBe(502)
    const trusted = await (await through(up.url, { tls: { ca: [pki.otherCA, pki.ca] } })).get()
    expect(trusted.status).toBe(200)
  })

  it('rejectUnauthorized: false accepts any certificate', async () => {
    const up = await h2Upstream()
    expect((await (await through(up.url, { tls: { rejectUnauthorized: false } })).get()).status).toBe(200)
  })

  it('servername is sent in SNI and checked against the certificate', async () => {
    const up = await h2Upstream()
    const ok = await (await through(up.url, { http2: true, tls: { ca: pki.ca, servername: 'upstream.test' } })).get()
    expect(ok.status).toBe(200)
    expect(up.connections.at(-1)).toEqual({ servername: 'upstream.test', alpn: 'h2' })
    const mismatch = await (await through(up.url, { tls: { ca: pki.ca, servername: 'elsewhere.test' } })).get()
    expect(mismatch.status).toBe(502)
  })

  it('servername wins over the client Host that preserveHost sends', async () => {
    const up = await h2Upstream()
    const { url } = await h.gateway((g) =>
      g.registerRoute('/up', up.url, { preserveHost: true, tls: { ca: pki.ca, servername: 'upstream.test' } }),
    )
    const res = await rawRequest(url, '/up/x', { headers: { host: 'public.example' } })
    expect(res.status).toBe(200)
    expect(up.connections.at(-1)?.servername).toBe('upstream.test')
  })

  it('mTLS: an upstream that requires a client certificate refuses without one and accepts cert/key', async () => {
    const up = await h2Upstream({ requestCert: true })
    const without = await (await through(up.url, { tls: { ca: pki.ca } })).get()
    expect(without.status).toBe(502)
    const withCert = await (await through(up.url, { http2: true, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } })).get()
    expect(withCert.status).toBe(200)
    expect(withCert.json()).toEqual({ httpVersion: '2.0', clientCN: 'tollgate-client' })
  })
})

describe('http2 and tls options', () => {
  const register = (options: unknown) => () => new APIGateway().registerRoute('/up', 'https://127.0.0.1:1', options as RouteOptions)

  it('are validated with a path', () => {
    expect(register({ http2: 'yes' })).toThrow(/http2 must be true or false/)
    expect(register({ http2MaxConcurrentStreams: 0 })).toThrow(/http2MaxConcurrentStreams must be an integer from 1/)
    expect(register({ tls: { ca: 'not a pem' } })).toThrow(/tls\.ca must be/)
    expect(register({ tls: { cert: '-----BEGIN CERTIFICATE-----' } })).toThrow(/tls\.key is required with tls\.cert/)
    expect(register({ tls: { verify: false } })).toThrow(/tls.*verify/)
  })
})
