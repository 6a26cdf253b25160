// What the gateway does around every request for the people running it: the request ID, the trace, the access-log
// line and the `request` event. Begun when a request arrives, ended with its response.
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Context, MiddlewareHandler } from 'hono'
import '../context.js'
import type { GatewayOptions, Logger } from '../options.js'
import { addAnswerHeaders, wasWrittenDirect } from '../proxy/direct-write.js'
import { outgoingOf } from '../proxy/node-bindings.js'
import { type RequestEvent, requestEvent } from '../server/request-events.js'
import { AccessLog, responseLength } from './access-log.js'
import { openTelemetryTracing } from './opentelemetry.js'
import { assignRequestId, REQUEST_ID_HEADER } from './request-id.js'
import { propagateOnly, type RequestTrace, type Tracing } from './request-trace.js'
import './options.js'

/** A logged or traced request whose answer is being sent: what its line and span need once it is. */
interface Sent {
  c: Context
  path: string
  status: number
  /** performance.now() at arrival. */
  arrived: number
  outgoing: ServerResponse
  socket: Socket | null
  /** The socket's bytesWritten before this answer. */
  before: number
  log: AccessLog | undefined
  spans: RequestTrace | undefined
}

const tracingOf = (options: GatewayOptions['tracing']): Tracing | undefined => {
  if (options === false) return undefined
  if (options?.opentelemetry || options?.tracerProvider) return openTelemetryTracing(options)
  return options?.propagate === false ? undefined : propagateOnly
}

/** Sets a header on the response, copying it first when its headers are immutable (a fetch() Response). */
const withHeader = (response: Response, name: string, value: string): Response => {
  try {
    response.headers.set(name, value)
    return response
  } catch {
    const copy = new Response(response.body, response)
    copy.headers.set(name, value)
    return copy
  }
}

export class RequestObserver {
  readonly #events = new EventEmitter()
  readonly #header: string
  readonly #tracing: Tracing | undefined
  readonly #accessLog: AccessLog | undefined
  readonly #logger: Logger
  /** Requests the built-in endpoints' middleware began, until the route handler (or the middleware) ends them. */
  readonly #builtIn = new WeakSet<Context>()
  /** Answers ended but not yet on the wire when end() ran. */
  #unsent: Sent[] = []

  constructor(options: Readonly<GatewayOptions>, logger: Logger) {
    this.#header = options.requestIdHeader?.toLowerCase() ?? REQUEST_ID_HEADER
    this.#tracing = tracingOf(options.tracing)
    this.#accessLog = options.accessLog ? new AccessLog(options.accessLog) : undefined
    this.#logger = logger
  }

  on(listener: (event: RequestEvent) => void): void {
    this.#events.on('request', listener)
  }

  off(listener: (event: RequestEvent) => void): void {
    this.#events.off('request', listener)
  }

  /** Gives the request its ID and trace (once: the built-in endpoints' middleware may have done it already). */
  begin(c: Context): void {
    if (c.get('requestId') !== undefined) return
    assignRequestId(c, this.#header)
    if (this.#header !== REQUEST_ID_HEADER) c.set('requestIdHeader', this.#header)
    if (this.#tracing) c.set('trace', this.#tracing.begin(c))
    // A directly written answer is on the socket before end(): count its bytes from here.
    if (this.#accessLog) c.set('socketBytesAtStart', outgoingOf(c)?.socket?.bytesWritten)
  }

  /** Lets the forwarder write the upstream's answer straight to the socket, with the request-id header among its own. */
  writeDirect(c: Context): void {
    c.set('directWrite', true)
    addAnswerHeaders(c, [this.#header, c.get('requestId')])
  }

  /**
   * Returns the response with the request-id header (an answer already written to the socket got it there); ends the
   * trace and writes the log line once it is sent, and emits the `request` event (not for the built-in endpoints).
   */
  end(c: Context, path: string, response: Response, status: number, durationMs: number, emit = true): Response {
    this.#builtIn.delete(c)
    if (!wasWrittenDirect(response)) response = withHeader(response, this.#header, c.get('requestId'))
    const trace = c.get('trace')
    const spans = trace?.recording ? trace : undefined
    const log = this.#accessLog?.sampled(status) ? this.#accessLog : undefined
    const outgoing = outgoingOf(c)
    if (outgoing && (log || spans)) {
      const socket = outgoing.socket
      const before = c.get('socketBytesAtStart') ?? socket?.bytesWritten ?? 0
      const sent: Sent = { c, path, status, arrived: performance.now() - durationMs, outgoing, socket, before, log, spans }
      // An answer written straight to the socket is done (or cut) already; node-server writes the others next.
      if (outgoing.writableFinished || outgoing.destroyed) this.#finish(sent)
      else if (this.#unsent.push(sent) === 1) queueMicrotask(this.#settleNextTick)
    } else {
      spans?.finish(c, status)
      if (log) this.#write(log, log.record(c, path, status, durationMs, responseLength(response)))
    }
    if (emit && this.#events.listenerCount('request') > 0) this.#emit(requestEvent(c, path, status, durationMs))
    return response
  }

  /** Observes the built-in endpoints (/_health, /_metrics, /_admin…), which do not go through the route handler. */
  readonly builtIn: MiddlewareHandler = async (c, next) => {
    const startTime = performance.now()
    this.begin(c)
    this.#builtIn.add(c)
    await next()
    // A /_ path that is not a built-in endpoint went on to the route handler, which ended it.
    if (!this.#builtIn.has(c)) return
    const response = this.end(c, c.req.path, c.res, c.res.status, performance.now() - startTime, false)
    // Assigning c.res rebuilds the response from its original init, losing the header set in place.
    if (response !== c.res) c.res = response
  }

  /**
   * Finishes the answers end() left unsent, in a tick after this turn's microtasks: node-server has written a buffered
   * one by then. (The tick is queued from a microtask: one queued by an end() that ran outside a microtask would run
   * before node-server writes.) An answer still being written, a stream, is finished on its 'close': its last byte
   * went, or the client went away.
   */
  readonly #settle = (): void => {
    const unsent = this.#unsent
    this.#unsent = []
    for (const sent of unsent) {
      if (sent.outgoing.writableFinished || sent.outgoing.destroyed) this.#finish(sent)
      else sent.outgoing.once('close', () => this.#finish(sent))
    }
  }

  readonly #settleNextTick = (): void => process.nextTick(this.#settle)

  /** Ends the span and writes the line of an answer that is sent, or cut. */
  #finish(sent: Sent): void {
    const { c, status, socket, log } = sent
    try {
      sent.spans?.finish(c, status)
    } catch (error) {
      // A tracer that throws must not cost the other answers of this batch their lines and spans.
      this.#logger.error('the tracer threw while ending a span:', error)
    }
    if (!log) return
    const now = performance.now()
    const record = log.record(c, sent.path, status, now - sent.arrived, socket ? socket.bytesWritten - sent.before : undefined, now)
    if (!sent.outgoing.writableFinished) record.aborted = true
    this.#write(log, record)
  }

  #write(log: AccessLog, record: Parameters<AccessLog['write']>[0]): void {
    try {
      log.write(record)
    } catch (error) {
      this.#logger.error('the access logger threw:', error)
    }
  }

  #emit(event: RequestEvent): void {
    try {
      this.#events.emit('request', event)
    } catch (error) {
      this.#logger.error('a request listener threw:', error)
    }
  }
}
