// Attack: spoof the client's identity (address, scheme) to an upstream that believes its proxy (issue 10.2).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAdaptorServer } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { gatewayRecordingClientIps } from '../proxy/client-ip.test-helper.js'

const h = createHarness()
afterEach(() => h.close())

const SPOOFED = {
  'x-real-ip': '6.6.6.6',
  'true-client-ip': '6.6.6.6',
  'cf-connecting-ip': '6.6.6.6',
  'x-client-ip': '6.6.6.6',
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-port': '443',
  'x-forwarded-ssl': 'on',
  forwarded: 'for=6.6.6.6;proto=https',
}

describe('client identity headers with trustProxy off', () => {
  it.each([
    ['an uncached', {}],
    ['a cached', { cacheTtl: 60 }],
  ])('on %s route the upstream sees only the values the gateway set', async (_, options) => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, options))
    const answer = await rawRequest(url, '/api/me', { headers: { ...SPOOFED, host: 'shop.example' } })
    expect(answer.status).toBe(200)
    const seen = up.received[0]!.headers
    expect(seen['x-real-ip']).toBe('127.0.0.1')
    expect(seen['x-forwarded-for']).toBe('127.0.0.1')
    expect(seen['x-forwarded-proto']).toBe('http')
    expect(seen['x-forwarded-host']).toBe('shop.example')
    for (const name of ['true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'x-forwarded-port', 'x-forwarded-ssl', 'forwarded']) {
      expect(seen[name], name).toBeUndefined()
    }
  })

  it('reports the connection scheme, not the scheme of an absolute https:// request target', async () => {
    const up = await h.upstream()
    const { url, port } = await h.gateway((g) => g.registerRoute('/api', up.url))
    const answer = await rawRequest(url, `https://127.0.0.1:${port}/api/me`)
    expect(answer.status).toBe(200)
    expect(up.received[0]!.url).toBe('/api/me')
    expect(up.received[0]!.headers['x-forwarded-proto']).toBe('http')
  })
})

describe('client identity headers with trustProxy', () => {
  it('believes a peer inside a trusted CIDR range, and only the part of the chain it vouches for', async () => {
    const { up, url, seenIps } = await gatewayRecordingClientIps(h, ['127.0.0.0/8', '10.0.0.0/8'])
    // 6.6.6.6 was written by the client itself; 203.0.113.9 is the address the trusted 10.x proxy saw.
    await rawRequest(url, '/api', {
      headers: {
        'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.2.3',
        'x-forwarded-proto': 'https',
        'cf-connecting-ip': '203.0.113.9',
      },
    })
    const seen = up.received[0]!.headers
    expect(seenIps).toEqual(['203.0.113.9'])
    expect(seen['x-real-ip']).toBe('203.0.113.9')
    expect(seen['x-forwarded-for']).toBe('203.0.113.9, 10.1.2.3, 127.0.0.1')
    expect(seen['x-forwarded-proto']).toBe('https')
    expect(seen['cf-connecting-ip']).toBe('203.0.113.9')
  })

  it('treats a peer outside the trusted ranges as the client', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { trustProxy: ['10.0.0.0/8'] })
    await rawRequest(url, '/api', { headers: SPOOFED })
    const seen = up.received[0]!.headers
    expect([seen['x-real-ip'], seen['x-forwarded-for'], seen['x-forwarded-proto']]).toEqual(['127.0.0.1', '127.0.0.1', 'http'])
    expect(seen['true-client-ip']).toBeUndefined()
  })
})

describe.skipIf(spawnSync('openssl', ['version']).status !== 0)('X-Forwarded-Proto over TLS', () => {
  it('is https when the client connected with TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-'))
    h.defer(() => rmSync(dir, { recursive: true, force: true }))
    const made = spawnSync('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ])
    expect(made.status).toBe(0)
    const up = await h.upstream()
    const gateway = new APIGateway({ logger: captureLogger() })
    gateway.registerRoute('/api', up.url)
    h.defer(() => gateway.stop())
    const server = createAdaptorServer({
      fetch: gateway.app.fetch,
      createServer: createHttpsServer,
      serverOptions: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    h.defer(() => new Promise((resolve) => server.close(resolve)))
    const { port } = server.address() as AddressInfo
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/api/me', rejectUnauthorized: false, agent: false, headers: { 'x-forwarded-proto': 'http' } },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(200)
    expect(up.received[0]!.headers['x-forwarded-proto']).toBe('https')
  })
})
