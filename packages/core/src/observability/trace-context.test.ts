// W3C trace context through the gateway: the trace id kept (or started), a fresh span id per upstream attempt.
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import type { MockUpstream } from '../testing/mock-upstream.js'
import { flakyUpstream } from './tracing.test-helper.js'
import { parseTraceParent } from './trace-context.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const h = createHarness()
afterEach(() => h.close())

const sent = (up: MockUpstream, i: number) => parseTraceParent(up.received[i]!.headers.traceparent as string)

describe('parseTraceParent', () => {
  it('reads a valid header and refuses invalid ones', () => {
    expect(parseTraceParent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '01' })
    expect(parseTraceParent(`01-${TRACE}-${PARENT}-00-future-part`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '00' })
    for (const bad of [
      undefined,
      '',
      `00-${'0'.repeat(32)}-${PARENT}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${PARENT}-01`,
      `00-${TRACE.toUpperCase()}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}-01-extra`,
      `00-${TRACE.slice(1)}-${PARENT}-01`,
      'garbage',
    ]) {
      expect(parseTraceParent(bad), String(bad)).toBeUndefined()
    }
  })
})

describe('traceparent propagation (the default, no OpenTelemetry)', () => {
  it('keeps an incoming trace id, flags and tracestate, with a new span id for each upstream attempt', async () => {
    const up = await flakyUpstream(h)
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { retry: { attempts: 2, initialDelayMs: 1 } }))
    const res = await rawRequest(url, '/api/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' } })
    expect(res.status).toBe(200)
    expect(up.received).toHaveLength(2)
    const [first, second] = [sent(up, 0)!, sent(up, 1)!]
    expect(first).toMatchObject({ traceId: TRACE, flags: '01' })
    expect(second).toMatchObject({ traceId: TRACE, flags: '01' })
    expect(new Set([first.parentId, second.parentId, PARENT]).size).toBe(3)
    expect(up.received[0]!.headers.tracestate).toBe('vendor=abc')
    expect(up.received[1]!.headers.tracestate).toBe('vendor=abc')
  })

  it('an unsampled incoming trace stays unsampled', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
    await rawRequest(url, '/api/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-00` } })
    expect(sent(up, 0)).toMatchObject({ traceId: TRACE, flags: '00' })
  })

  it('starts a new sampled trace without a traceparent, a different one per request', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
    await rawRequest(url, '/api/x')
    await rawRequest(url, '/api/x')
    const [a, b] = [sent(up, 0)!, sent(up, 1)!]
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(a.flags).toBe('01')
    expect(b.traceId).not.toBe(a.traceId)
    expect(up.received[0]!.headers.tracestate).toBeUndefined()
  })

  it('an invalid incoming traceparent starts a new trace and its tracestate is dropped', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
    await rawRequest(url, '/api/x', { headers: { traceparent: `00-${'0'.repeat(32)}-${PARENT}-01`, tracestate: 'vendor=abc' } })
    const got = sent(up, 0)!
    expect(got.traceId).not.toBe('0'.repeat(32))
    expect(got.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(up.received[0]!.headers.tracestate).toBeUndefined()
  })

  it('tracing: false leaves trace headers as the client sent them', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { tracing: false })
    await rawRequest(url, '/api/x')
    expect(up.received[0]!.headers.traceparent).toBeUndefined()
    await rawRequest(url, '/api/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })
    expect(up.received[1]!.headers.traceparent).toBe(`00-${TRACE}-${PARENT}-01`)
  })

  it('c.get("trace") exposes the trace id to custom middleware', async () => {
    const up = await h.upstream()
    let traceId: string | undefined
    const { url } = await h.gateway((g) =>
      g.registerRoute('/api', up.url).addMiddleware(async (c, next) => {
        traceId = c.get('trace')?.traceId
        await next()
      }),
    )
    await rawRequest(url, '/api/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })
    expect(traceId).toBe(TRACE)
  })
})
