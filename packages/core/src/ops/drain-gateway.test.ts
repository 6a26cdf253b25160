// The drain on stop(), with real listeners: readiness first, then no new connections, then in-flight requests.
import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import { captureLogger, createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'

const h = createHarness()
afterEach(() => h.close())

/** An upstream whose /slow answers are held until released (no timing involved). */
const heldUpstream = async () => {
  const held: ServerResponse[] = []
  const up = await h.upstream({
    handler: (req, res) => {
      if (!req.url?.includes('slow')) return false
      held.push(res)
      return true
    },
  })
  const release = () => {
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'text/plain' }).end('done')
  }
  h.defer(release)
  const waitHeld = async () => {
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5))
  }
  return { up, release, waitHeld }
}

const refused = async (url: string, timeoutMs = 10_000): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const failed = await rawRequest(url, '/_health/live').then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error.code,
    )
    if (failed === 'ECONNREFUSED') return true
    await new Promise((r) => setTimeout(r, 10))
  }
  return false
}

const start = async (options: ConstructorParameters<typeof APIGateway>[0], upstream: string) => {
  const logger = captureLogger()
  const gateway = new APIGateway({ logger, ...options })
  gateway.registerRoute('/api', upstream)
  const { url } = await gateway.start({ port: 0 })
  h.defer(() => gateway.stop({ drainDelayMs: 0 }))
  return { gateway, url, logger }
}

describe('drain', () => {
  it('during the drain delay /_health/ready is 503 and requests are still served; stop() then refuses new connections', async () => {
    const up = await h.upstream()
    const { gateway, url } = await start({ drainDelayMs: 300 }, up.url)
    const draining = gateway.drain()
    const ready = await rawRequest(url, '/_health/ready')
    expect([ready.status, ready.json()]).toEqual([503, { status: 'not_ready', reasons: ['draining'] }])
    expect((await rawRequest(url, '/api/during')).status).toBe(200)
    expect((await rawRequest(url, '/_health/live')).status).toBe(200)
    await draining
    // drain() alone never closes the listener: only stop() does.
    expect((await rawRequest(url, '/api/after-delay')).status).toBe(200)
    expect(await gateway.stop()).toEqual({ cut: 0 })
    await expect(rawRequest(url, '/api')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('stop() waits drainDelayMs before closing the listener', async () => {
    const up = await h.upstream()
    const { gateway, url } = await start({ drainDelayMs: 400 }, up.url)
    const started = Date.now()
    const stopping = gateway.stop()
    expect((await gateway.fetch(new Request('http://gw/_health/ready'))).status).toBe(503)
    expect(await stopping).toEqual({ cut: 0 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(390)
    await expect(rawRequest(url, '/api')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('after the delay new connections are refused while a slow in-flight request still finishes within shutdownTimeoutMs', async () => {
    const { up, release, waitHeld } = await heldUpstream()
    const { gateway, url, logger } = await start({ shutdownTimeoutMs: 30_000 }, up.url)
    const inFlight = rawRequest(url, '/api/slow')
    await waitHeld()
    const stopping = gateway.stop()
    expect(await refused(url)).toBe(true)
    release()
    const answer = await inFlight
    expect([answer.status, answer.body]).toEqual([200, 'done'])
    expect(await stopping).toEqual({ cut: 0 })
    expect(logger.lines.join('\n')).not.toContain('cut')
  })

  it('a request still in flight at shutdownTimeoutMs is cut, counted and logged in one line', async () => {
    const { up, waitHeld } = await heldUpstream()
    const { gateway, url, logger } = await start({ shutdownTimeoutMs: 200 }, up.url)
    const inFlight = rawRequest(url, '/api/slow').then(
      () => 'answered',
      () => 'cut',
    )
    await waitHeld()
    expect(await gateway.stop()).toEqual({ cut: 1 })
    expect(await inFlight).toBe('cut')
    expect(logger.lines.filter((line) => line.includes('cut'))).toEqual([
      'stop: cut 1 request still in flight after shutdownTimeoutMs (200 ms)',
    ])
  })

  it('stop({ drainDelayMs: 0 }) skips the delay (Ctrl-C), also when drain() is already waiting', async () => {
    const up = await h.upstream()
    const { gateway, url } = await start({ drainDelayMs: 60_000 }, up.url)
    const draining = gateway.drain()
    expect(await gateway.stop({ drainDelayMs: 0 })).toEqual({ cut: 0 })
    await draining
    await expect(rawRequest(url, '/api')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('serves (and is ready) again after stop() and start()', async () => {
    const up = await h.upstream()
    const { gateway } = await start({}, up.url)
    await gateway.stop()
    expect((await gateway.fetch(new Request('http://gw/_health/ready'))).status).toBe(503)
    const { url } = await gateway.start({ port: 0 })
    expect((await rawRequest(url, '/_health/ready')).status).toBe(200)
  })
})

describe('stop() called twice', () => {
  it('the second call waits for the first and reports the same result', async () => {
    const up = await h.upstream()
    const { gateway, url } = await start({ drainDelayMs: 200 }, up.url)
    const [first, second] = await Promise.all([gateway.stop(), gateway.stop()])
    expect([first, second]).toEqual([{ cut: 0 }, { cut: 0 }])
    await expect(rawRequest(url, '/api')).rejects.toThrow(/ECONNREFUSED/)
  })
})
