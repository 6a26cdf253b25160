// A request's place in a distributed trace: its trace id, the gateway's span, and one child span per upstream attempt.
import type { Context } from 'hono'
import type { UpstreamTarget } from '../pool/types.js'
import { requestHeader } from '../proxy/request-header.js'
import { formatTraceParent, newSpanId, newTraceId, parseTraceParent } from './trace-context.js'

/** One upstream attempt's span: the traceparent it sends, ended with the upstream's status or a failure. */
export interface AttemptSpan {
  readonly traceparent: string
  end(status: number | undefined, error?: string): void
}

/** What the gateway knows of a request's trace (`c.get('trace')`). */
export interface RequestTrace {
  readonly traceId: string
  /** The gateway's own (server) span for this request. */
  readonly spanId: string
  /** Trace flags as two hex digits (`01` = sampled). */
  readonly flags: string
  /** The client's `tracestate`, passed on unchanged (dropped with an invalid traceparent). */
  readonly tracestate: string | undefined
  /** Whether spans are recorded (finish() then ends the gateway's span; otherwise it does nothing). */
  readonly recording: boolean
  /** Starts the span of upstream attempt `attempt` (1-based); its traceparent goes upstream. */
  attempt(c: Context, attempt: number, target: UpstreamTarget): AttemptSpan
  /** Ends the gateway's span once the response is known. */
  finish(c: Context, status: number): void
}

/** Starts a request's trace from what the client sent. */
export interface Tracing {
  begin(c: Context): RequestTrace
}

const ended = (): void => {}

/** Trace context without a tracer: ids kept or made, a fresh span id per attempt, nothing recorded. */
class PropagatedTrace implements RequestTrace {
  readonly recording = false

  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly flags: string,
    readonly tracestate: string | undefined,
  ) {}

  attempt(): AttemptSpan {
    return { traceparent: formatTraceParent(this.traceId, newSpanId(), this.flags), end: ended }
  }

  finish(): void {}
}

/**
 * W3C propagation only: a valid incoming traceparent keeps its trace id and flags, else a new sampled trace starts
 * (so upstreams that sample on their parent's flag record requests that came through the gateway).
 */
export const propagateOnly: Tracing = {
  begin(c) {
    const incoming = parseTraceParent(requestHeader(c, 'traceparent'))
    return incoming
      ? new PropagatedTrace(incoming.traceId, newSpanId(), incoming.flags, requestHeader(c, 'tracestate'))
      : new PropagatedTrace(newTraceId(), newSpanId(), '01', undefined)
  },
}

/** Sets the trace headers of one upstream request (tracestate only when the client's traceparent was valid). */
export const setTraceHeaders = (headers: Record<string, string>, trace: RequestTrace, traceparent: string): void => {
  headers.traceparent = traceparent
  // `delete` only when there is one: deleting a property turns the object into a slower dictionary.
  if (trace.tracestate !== undefined) headers.tracestate = trace.tracestate
  else if (headers.tracestate !== undefined) delete headers.tracestate
}
