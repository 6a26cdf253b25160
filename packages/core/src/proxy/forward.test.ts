import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import type { Clock } from '../clock.js'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { gatewayRecordingClientIps } from './client-ip.test-helper.js'
import { freePort } from '../testing/redis-server.js'

const h = createHarness()
afterEach(() => h.close())

const echo = (body: string) => JSON.parse(body) as { method: string; url: string; bodyBytes: number; headers: Record<string, string> }

describe('forwarding', () => {
  it('passes method, full path, query, headers and body through', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api/users', up.url))
    const res = await rawRequest(url, '/api/users/7?b=2&a=1', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
      body: '{"name":"ada"}',
    })
    expect(res.status).toBe(200)
    const seen = echo(res.body)
    expect(seen).toMatchObject({ method: 'PUT', url: '/api/users/7?b=2&a=1', bodyBytes: 14 })
    expect(seen.headers['x-custom']).toBe('yes')
    expect(seen.headers['content-type']).toBe('application/json')
  })

  it('strips the prefix when asked and prepends the target base path', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => {
      g.registerRoute('/svc', `${up.url}/v2/`, { stripPrefix: true })
      g.registerRoute('/full', `${up.url}/base`)
    })
    expect(echo((await rawRequest(url, '/svc/items?x=1')).body).url).toBe('/v2/items?x=1')
    expect(echo((await rawRequest(url, '/svc')).body).url).toBe('/v2/')
    expect(echo((await rawRequest(url, '/full/a')).body).url).toBe('/base/full/a')
  })

  it('normalises the path once, so dot segments cannot reach another route', async () => {
    const users = await h.upstream()
    const admin = await h.upstream()
    const { url } = await h.gateway((g) => {
      g.registerRoute('/api/users', users.url)
      g.registerRoute('/admin', admin.url)
    })
    const escaped = await rawRequest(url, '/api/users/../../admin/secrets')
    expect(escaped.status).toBe(200)
    expect(admin.count()).toBe(1) // it is the /admin route, and the upstream saw the normalised path
    expect(echo(escaped.body).url).toBe('/admin/secrets')
    const stays = await rawRequest(url, '/api//users/./7/%2e%2e/8')
    expect(echo(stays.body).url).toBe('/api/users/8')
    const outside = await rawRequest(url, '/api/users/../other')
    expect(outside.status).toBe(404)
    expect(outside.json().error.code).toBe('route_not_found')
    expect(users.count()).toBe(1)
  })

  it('removes hop-by-hop headers both ways and sets X-Forwarded-* and Via', async () => {
    const up = await h.upstream({
      handler: (_req, res) => {
        res.writeHead(200, { connection: 'x-upstream-hop', 'x-upstream-hop': 'secret', 'keep-alive': 'timeout=5', 'x-kept': '1' })
        res.end('ok')
        return true
      },
    })
    const { url, port } = await h.gateway((g) => g.registerRoute('/api', up.url))
    const res = await rawRequest(url, '/api', {
      headers: {
        connection: 'x-client-hop',
        'x-client-hop': 'no',
        te: 'trailers',
        'proxy-authorization': 'Basic x',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
      },
    })
    expect(res.headers['x-upstream-hop']).toBeUndefined()
    expect(res.headers['x-kept']).toBe('1')
    expect(res.headers.via).toBe('1.1 tollgate')
    const seen = up.received[0]!.headers
    expect(seen['x-client-hop']).toBeUndefined()
    expect(seen.te).toBeUndefined()
    expect(seen['proxy-authorization']).toBeUndefined()
    expect(seen['x-forwarded-for']).toBe('127.0.0.1') // the spoofed value is not trusted by default
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${port}`)
    expect(seen['x-forwarded-proto']).toBe('http')
    expect(seen.via).toBe('1.1 tollgate')
    expect(seen.host).toBe(new URL(up.url).host)
  })

  it('appends to X-Forwarded-For and believes X-Forwarded-Proto only under trustProxy', async () => {
    const { up, url, seenIps } = await gatewayRecordingClientIps(h, true)
    await rawRequest(url, '/api', { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1', 'x-forwarded-proto': 'https' } })
    const seen = up.received[0]!.headers
    expect(seen['x-forwarded-for']).toBe('203.0.113.9, 10.0.0.1, 127.0.0.1')
    expect(seen['x-forwarded-proto']).toBe('https')
    expect(seenIps).toEqual(['203.0.113.9'])
  })

  it('passes upstream 4xx and 5xx through unchanged', async () => {
    const up = await h.upstream({
      handler: (req, res) => {
        res.writeHead(req.url?.includes('missing') ? 404 : 500, { 'content-type': 'text/plain' })
        res.end('upstream says no')
        return true
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { retry: { attempts: 1 } }))
    const missing = await rawRequest(url, '/api/missing')
    expect([missing.status, missing.body]).toEqual([404, 'upstream says no'])
    const broken = await rawRequest(url, '/api/broken', { method: 'POST', body: 'x' })
    expect([broken.status, broken.body]).toEqual([500, 'upstream says no'])
  })
})

describe('bodies', () => {
  it('streams a 100 MB upload without buffering it', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/upload', up.url, { maxBodyBytes: 200 * 1024 * 1024 }))
    const chunk = Buffer.alloc(1024 * 1024, 97)
    let sent = 0
    let peakHeap = 0
    const before = process.memoryUsage().heapUsed
    const body = new Readable({
      read() {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
        if (sent >= 100) return this.push(null)
        sent++
        this.push(chunk)
      },
    })
    const res = await rawRequest(url, '/upload', { method: 'POST', body, headers: { 'content-length': String(100 * chunk.length) } })
    expect(res.status).toBe(200)
    expect(echo(res.body).bodyBytes).toBe(100 * 1024 * 1024)
    expect(peakHeap - before).toBeLessThan(50 * 1024 * 1024)
  })

  it('streams a large response through', async () => {
    const size = 8 * 1024 * 1024
    const up = await h.upstream({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        let left = size
        const write = () => {
          while (left > 0) {
            const n = Math.min(left, 64 * 1024)
            left -= n
            if (!res.write(Buffer.alloc(n, 1))) return void res.once('drain', write)
          }
          res.end()
        }
        write()
        return true
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/dl', up.url))
    const res = await fetch(`${url}/dl`)
    expect(res.status).toBe(200)
    expect((await res.arrayBuffer()).byteLength).toBe(size)
  })

  it('answers 413 by Content-Length before reading, and while streaming a chunked body', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { maxBodyBytes: 1024 }))
    const declared = await rawRequest(url, '/api', { method: 'POST', body: 'x'.repeat(2048) })
    expect(declared.status).toBe(413)
    expect(declared.json().error.code).toBe('payload_too_large')
    const chunked = await rawRequest(url, '/api', { method: 'POST', body: Readable.from([Buffer.alloc(100 * 1024, 1)]) })
    expect(chunked.status).toBe(413)
    expect(up.count() <= 1).toBe(true)
  })

  it('rejects a malformed Content-Length with 400 and oversized headers with 431', async () => {
    const up = await h.upstream()
    const { url, gateway } = await h.gateway((g) => g.registerRoute('/api', up.url), { server: { maxHeaderBytes: 4096 } })
    const viaFetch = await gateway.fetch(new Request(`${url}/api`, { method: 'POST', body: 'abc', headers: { 'content-length': '12x' } }))
    expect(viaFetch.status).toBe(400)
    const big = await rawRequest(url, '/api', { headers: { 'x-big': 'a'.repeat(8192) } }).catch((e) => e)
    expect(big.status).toBe(431)
    expect(up.count()).toBe(0)
  })

  it('replays a small body when retrying an idempotent request', async () => {
    let calls = 0
    const up = await h.upstream({
      handler: (_req, res, body) => {
        calls++
        res.writeHead(calls < 2 ? 503 : 200, { 'content-type': 'text/plain' })
        res.end(body?.toString() ?? '')
        return true
      },
      keepBodies: true,
    })
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { retry: { attempts: 3, initialDelayMs: 1 } }))
    const res = await rawRequest(url, '/api/x', { method: 'PUT', body: 'payload' })
    expect([res.status, res.body, calls]).toEqual([200, 'payload', 2])
  })
})

describe('timeouts and retries', () => {
  it('answers 504 when an attempt exceeds timeoutMs, retrying idempotent requests', async () => {
    const up = await h.upstream({ latencyMs: 400 })
    const { url } = await h.gateway((g) => {
      g.registerRoute('/once', up.url, { timeoutMs: 50, retry: { attempts: 1 } })
      g.registerRoute('/thrice', up.url, { timeoutMs: 50, retry: { attempts: 3, initialDelayMs: 5 } })
    })
    const started = Date.now()
    const once = await rawRequest(url, '/once')
    expect(once.status).toBe(504)
    expect(once.json().error.code).toBe('upstream_timeout')
    expect(Date.now() - started).toBeLessThan(350)
    up.reset()
    const thrice = await rawRequest(url, '/thrice')
    expect(thrice.status).toBe(504)
    expect(up.count()).toBe(3)
  })

  it('retries GET on 502/503/504 with backoff but never POST', async () => {
    let failuresLeft = 2
    const up = await h.upstream({
      handler: (_req, res) => {
        if (failuresLeft-- > 0) {
          res.writeHead(503)
          res.end()
        } else {
          res.writeHead(200)
          res.end('ok')
        }
        return true
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { retry: { attempts: 3, initialDelayMs: 10, jitter: 0 } }))
    const get = await rawRequest(url, '/api')
    expect([get.status, get.body, up.count()]).toEqual([200, 'ok', 3])
    failuresLeft = 2
    up.reset()
    const post = await rawRequest(url, '/api', { method: 'POST', body: 'x' })
    expect([post.status, up.count()]).toEqual([503, 1])
  })

  it('answers 502 bad_gateway when the upstream is unreachable, after the allowed attempts', async () => {
    const closedPort = await freePort()
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', `http://127.0.0.1:${closedPort}`, { retry: { attempts: 2, initialDelayMs: 1 } }),
    )
    const res = await rawRequest(url, '/api')
    expect(res.status).toBe(502)
    expect(res.json().error.code).toBe('bad_gateway')
  })

  it('retries on another target of the pool when one is down', async () => {
    const up = await h.upstream()
    const closedPort = await freePort()
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', [`http://127.0.0.1:${closedPort}`, up.url], { retry: { attempts: 2, initialDelayMs: 1 } }),
    )
    const statuses = await Promise.all(Array.from({ length: 20 }, () => rawRequest(url, '/api').then((r) => r.status)))
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(up.count()).toBe(20)
  })

  it('cancels the upstream request when the client aborts', async () => {
    let upstreamClosed: () => void
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve))
    const up = await h.upstream({
      handler: (req) => {
        req.socket.once('close', () => upstreamClosed())
        return true // never answers
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/slow', up.url, { timeoutMs: 10_000 }))
    const controller = new AbortController()
    const pending = rawRequest(url, '/slow', { signal: controller.signal }).catch(() => 'aborted')
    while (up.count() === 0) await new Promise((r) => setTimeout(r, 5))
    controller.abort()
    expect(await pending).toBe('aborted')
    await expect(Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 2_000))])).resolves.toBe(
      'closed',
    )
  })
  it('stops the upstream transfer when the client goes away in the middle of a streamed body', async () => {
    let upstreamClosed: () => void
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve))
    const up = await h.upstream({
      handler: (req, res) => {
        req.socket.once('close', () => upstreamClosed())
        // No Content-Length: streamed through; one chunk now, then nothing until the client leaves.
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        res.write(Buffer.alloc(1024, 1))
        return true
      },
    })
    const { url } = await h.gateway((g) => g.registerRoute('/stream', up.url, { timeoutMs: 60_000 }))
    const controller = new AbortController()
    const res = await fetch(`${url}/stream`, { signal: controller.signal })
    const reader = res.body!.getReader()
    expect((await reader.read()).value?.byteLength).toBeGreaterThan(0)
    controller.abort()
    await expect(Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 10_000))])).resolves.toBe(
      'closed',
    )
  })
})

describe('circuit breaker', () => {
  it('opens after consecutive failures, answers 503 circuit_open with Retry-After, and recovers through HALF_OPEN', async () => {
    let now = 1_000_000
    const clock: Clock = { now: () => now }
    let healthy = false
    const up = await h.upstream({
      handler: (_req, res) => {
        res.writeHead(healthy ? 200 : 500)
        res.end()
        return true
      },
    })
    const { url, gateway } = await h.gateway(
      (g) =>
        g.registerRoute('/api', up.url, {
          retry: { attempts: 1 },
          circuitBreaker: { failureThreshold: 3, recoveryTimeoutMs: 10_000, successThreshold: 2 },
        }),
      { clock },
    )
    for (let i = 0; i < 3; i++) expect((await rawRequest(url, '/api')).status).toBe(500)
    const open = await rawRequest(url, '/api')
    expect(open.status).toBe(503)
    expect(open.json().error.code).toBe('circuit_open')
    expect(open.headers['retry-after']).toBe('10')
    expect(up.count()).toBe(3) // the open circuit kept the request away from the upstream
    const metrics = (await rawRequest(url, '/_metrics')).json()
    expect(metrics.circuit_breakers[up.url]).toEqual({ state: 'OPEN', failures: 3 })

    now += 10_000
    healthy = true
    expect((await rawRequest(url, '/api')).status).toBe(200)
    expect(gateway.breakers.get(up.url).state).toBe('HALF_OPEN')
    expect((await rawRequest(url, '/api')).status).toBe(200)
    expect(gateway.breakers.get(up.url).state).toBe('CLOSED')
  })
})
