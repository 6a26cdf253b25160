// OpenTelemetry spans, recorded by the SDK's in-memory exporter: a server span per request, a client span per attempt.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { flakyUpstream } from './tracing.test-helper.js'
import { parseTraceParent } from './trace-context.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const h = createHarness()
afterEach(() => h.close())

const recorder = () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  h.defer(() => provider.shutdown())
  return { exporter, provider }
}

/** The finished spans once `count` have ended (the server span ends when the response is written). */
const spans = async (exporter: InMemorySpanExporter, count: number): Promise<ReadableSpan[]> => {
  await vi.waitFor(() => expect(exporter.getFinishedSpans().length).toBeGreaterThanOrEqual(count), { timeout: 5_000 })
  return exporter.getFinishedSpans()
}

const byKind = (all: ReadableSpan[], kind: SpanKind) => all.filter((s) => s.kind === kind)

describe('OpenTelemetry spans', () => {
  it('a retried request: one server span with two client spans under it, linked to the incoming trace', async () => {
    const { exporter, provider } = recorder()
    const up = await flakyUpstream(h)
    const { url } = await h.gateway(
      (g) =>
        g.registerRoute('/api', up.url, {
          id: 'api',
          retry: { attempts: 2, initialDelayMs: 1 },
          rateLimit: { requestsPerMinute: 100 },
          cacheTtl: 60,
        }),
      { tracing: { tracerProvider: provider } },
    )
    const res = await rawRequest(url, '/api/users', { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'v=1' } })
    expect(res.status).toBe(200)
    const all = await spans(exporter, 3)
    expect(all).toHaveLength(3)
    const [server] = byKind(all, SpanKind.SERVER)
    const clients = byKind(all, SpanKind.CLIENT)
    expect(server).toBeDefined()
    expect(clients).toHaveLength(2)

    // The server span continues the client's trace; the client spans are its children.
    expect(server!.spanContext().traceId).toBe(TRACE)
    expect(server!.parentSpanContext?.spanId).toBe(PARENT)
    expect(server!.parentSpanContext?.isRemote).toBe(true)
    for (const client of clients) {
      expect(client.spanContext().traceId).toBe(TRACE)
      expect(client.parentSpanContext?.spanId).toBe(server!.spanContext().spanId)
    }
    // Each attempt's traceparent names its own client span.
    const sentIds = up.received.map((r) => parseTraceParent(r.headers.traceparent as string)?.parentId)
    expect(sentIds).toHaveLength(2)
    expect(new Set(sentIds)).toEqual(new Set(clients.map((c) => c.spanContext().spanId)))
    expect(up.received[0]!.headers.tracestate).toBe('v=1')

    const [first, second] = [...clients].sort(
      (a, b) => (a.attributes['tollgate.upstream.attempt'] as number) - (b.attributes['tollgate.upstream.attempt'] as number),
    )
    expect(first!.attributes).toMatchObject({
      'tollgate.upstream.attempt': 1,
      'http.response.status_code': 503,
      'tollgate.route.id': 'api',
    })
    expect(first!.status.code).toBe(SpanStatusCode.ERROR)
    expect(second!.attributes).toMatchObject({
      'tollgate.upstream.attempt': 2,
      'http.request.resend_count': 1,
      'http.response.status_code': 200,
    })

    expect(server!.name).toBe('GET /api')
    expect(server!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/api/users',
      'http.route': '/api',
      'http.response.status_code': 200,
      'tollgate.route.id': 'api',
      'tollgate.cache.result': 'miss',
      'tollgate.rate_limit.decision': 'allowed',
      'tollgate.upstream.attempts': 2,
      'tollgate.request_id': res.headers['x-request-id'],
    })
  })

  it('a request without traceparent starts a root span; a 429 has a server span and no client span', async () => {
    const { exporter, provider } = recorder()
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url, { rateLimit: { requestsPerMinute: 1 } }), {
      tracing: { tracerProvider: provider },
    })
    await rawRequest(url, '/api/x')
    const limited = await rawRequest(url, '/api/x')
    expect(limited.status).toBe(429)
    const all = await spans(exporter, 3)
    const servers = byKind(all, SpanKind.SERVER)
    expect(servers).toHaveLength(2)
    expect(byKind(all, SpanKind.CLIENT)).toHaveLength(1)
    for (const server of servers) expect(server.parentSpanContext).toBeUndefined()
    const rejected = servers.find((s) => s.attributes['http.response.status_code'] === 429)!
    expect(rejected.attributes).toMatchObject({ 'tollgate.rate_limit.decision': 'limited', 'error.type': 'rate_limited' })
    expect(parseTraceParent(up.received[0]!.headers.traceparent as string)?.traceId).toBe(servers[0]!.spanContext().traceId)
  })

  it('opentelemetry: true records on the globally registered provider', async () => {
    const { exporter, provider } = recorder()
    trace.setGlobalTracerProvider(provider)
    h.defer(() => trace.disable())
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { tracing: { opentelemetry: true } })
    await rawRequest(url, '/api/x')
    const all = await spans(exporter, 2)
    expect(byKind(all, SpanKind.SERVER)).toHaveLength(1)
    expect(byKind(all, SpanKind.CLIENT)[0]!.parentSpanContext?.spanId).toBe(byKind(all, SpanKind.SERVER)[0]!.spanContext().spanId)
  })

  it('with no provider registered, opentelemetry: true still propagates a fresh span id per attempt', async () => {
    const up = await h.upstream()
    const { url } = await h.gateway((g) => g.registerRoute('/api', up.url), { tracing: { opentelemetry: true } })
    await rawRequest(url, '/api/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })
    const sent = parseTraceParent(up.received[0]!.headers.traceparent as string)
    expect(sent?.traceId).toBe(TRACE)
    expect(sent?.parentId).not.toBe(PARENT)
  })
})
