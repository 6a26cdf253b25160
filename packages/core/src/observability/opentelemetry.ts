// Optional OpenTelemetry spans through @opentelemetry/api (an optional peer, loaded only when asked): a server span
// per request and a client span per upstream attempt. The SDK (exporters, samplers) is the application's.
import { createRequire } from 'node:module'
import type * as OTel from '@opentelemetry/api'
import type { Context } from 'hono'
import '../context.js'
import { ConfigError } from '../errors.js'
import type { UpstreamTarget } from '../pool/types.js'
import { requestHeader } from '../proxy/request-header.js'
import { type AttemptSpan, propagateOnly, type RequestTrace, type Tracing } from './request-trace.js'
import type { TracingOptions } from './schema.js'
import { formatTraceParent, parseTraceParent } from './trace-context.js'

const TRACER_NAME = '@tollgate/core'

const loadApi = (): typeof OTel => {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as typeof OTel
  } catch (error) {
    throw new ConfigError('tracing.opentelemetry needs the @opentelemetry/api package installed (npm install @opentelemetry/api)', {
      path: 'options.tracing.opentelemetry',
      cause: error,
    })
  }
}

const hex2 = (flags: number): string => (flags & 0xff).toString(16).padStart(2, '0')

/** What the access log and spans say about the request once it is answered. */
const finalAttributes = (c: Context, status: number): OTel.Attributes => {
  const attributes: OTel.Attributes = { 'http.response.status_code': status }
  const route = c.get('route')
  if (route) {
    attributes['http.route'] = route.prefix
    attributes['tollgate.route.id'] = route.id
  }
  const cache = c.get('cacheResult')
  if (cache) attributes['tollgate.cache.result'] = cache
  const rateLimit = c.get('rateLimitDecision')
  if (rateLimit) attributes['tollgate.rate_limit.decision'] = rateLimit
  const attempts = c.get('upstreamAttempts')
  if (attempts) attributes['tollgate.upstream.attempts'] = attempts
  const error = c.get('gatewayError')
  if (error) attributes['error.type'] = error
  return attributes
}

class SpanTrace implements RequestTrace {
  readonly traceId: string
  readonly spanId: string
  readonly flags: string
  readonly recording = true

  constructor(
    readonly api: typeof OTel,
    readonly tracer: OTel.Tracer,
    readonly span: OTel.Span,
    readonly tracestate: string | undefined,
  ) {
    const context = span.spanContext()
    this.traceId = context.traceId
    this.spanId = context.spanId
    this.flags = hex2(context.traceFlags)
  }

  attempt(c: Context, attempt: number, target: UpstreamTarget): AttemptSpan {
    const { api } = this
    const method = c.req.method
    const url = target.url
    const span = this.tracer.startSpan(
      method,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          'http.request.method': method,
          'server.address': url.hostname,
          'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
          'tollgate.upstream.attempt': attempt,
          ...(attempt > 1 ? { 'http.request.resend_count': attempt - 1 } : {}),
          ...(c.get('route') ? { 'tollgate.route.id': c.get('route').id } : {}),
        },
      },
      api.trace.setSpan(api.ROOT_CONTEXT, this.span),
    )
    const context = span.spanContext()
    return {
      traceparent: formatTraceParent(context.traceId, context.spanId, hex2(context.traceFlags)),
      end: (status, error) => {
        if (status !== undefined) span.setAttribute('http.response.status_code', status)
        if (error !== undefined || (status !== undefined && status >= 500)) {
          span.setAttribute('error.type', error ?? String(status))
          span.setStatus({ code: api.SpanStatusCode.ERROR })
        }
        span.end()
      },
    }
  }

  finish(c: Context, status: number): void {
    const route = c.get('route')
    if (route) this.span.updateName(`${c.req.method} ${route.prefix}`)
    this.span.setAttributes(finalAttributes(c, status))
    if (status >= 500) this.span.setStatus({ code: this.api.SpanStatusCode.ERROR })
    this.span.end()
  }
}

/**
 * Tracing with OpenTelemetry spans on `options.tracerProvider` or the global provider. The server span's parent is
 * the client's valid traceparent; a span the SDK does not record (not sampled, no SDK registered) falls back to
 * plain propagation, so upstreams still get a fresh span id per attempt.
 */
export const openTelemetryTracing = (options: TracingOptions): Tracing => {
  const api = loadApi()
  const provider = (options.tracerProvider as OTel.TracerProvider | undefined) ?? api.trace
  const tracer = provider.getTracer(TRACER_NAME)
  return {
    begin(c) {
      const incoming = parseTraceParent(requestHeader(c, 'traceparent'))
      const tracestate = incoming ? requestHeader(c, 'tracestate') : undefined
      let parent = api.ROOT_CONTEXT
      if (incoming) {
        parent = api.trace.setSpanContext(parent, {
          traceId: incoming.traceId,
          spanId: incoming.parentId,
          traceFlags: Number.parseInt(incoming.flags, 16),
          isRemote: true,
          ...(tracestate ? { traceState: api.createTraceState(tracestate) } : {}),
        })
      }
      const method = c.req.method
      const span = tracer.startSpan(
        method,
        {
          kind: api.SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'url.path': c.get('normalizedPath') ?? c.req.path,
            'tollgate.request_id': c.get('requestId'),
          },
        },
        parent,
      )
      if (!span.isRecording()) return propagateOnly.begin(c)
      return new SpanTrace(api, tracer, span, tracestate)
    },
  }
}
