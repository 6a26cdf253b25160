// Forwarding one client request to a route's upstream pool: target choice, breaker, retries, streaming.
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import type { Context } from 'hono'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import type { Dispatcher } from 'undici'
import type { CircuitBreaker, CircuitBreakerRegistry } from '../breaker/circuit-breaker.js'
import { jsonError } from '../errors.js'
import { setTraceHeaders } from '../observability/request-trace.js'
import type { UpstreamTarget } from '../pool/types.js'
import { backoffDelayMs, methodRetryable } from '../retry/retry-policy.js'
import type { Route } from '../routing/route.js'
import { readBody, BodyTooLargeError, bodySource, limitBody } from './body.js'
import { cleanResponseHeaders, flattenHeaders, forwardedInfo, upstreamRequestHeaders } from './headers.js'
import type { ProxyTrust } from './client-ip.js'
import { AttemptSignal } from './attempt-signal.js'
import { canWriteDirect, exactResponse, writeDirect } from './direct-write.js'
import { type PublicAddress, rewriteResponseAddresses } from './redirects.js'
import { clientWatch, type ClientWatch } from './request-signal.js'
import { incomingOf } from './node-bindings.js'
import { requestHeader } from './request-header.js'
import { routeDispatcher } from './upstream-agent.js'
import { discardBody, exchange, type UpstreamAnswer } from './upstream-exchange.js'

/** Bodies up to this size are buffered (replayable, and answered on @hono/node-server's fast path). */
export const SMALL_BODY_BYTES = 64 * 1024

export interface ForwarderOptions {
  /** An UpstreamAgent also gives routes with `http2` or `tls` their own pools. */
  dispatcher: Dispatcher
  breakers: CircuitBreakerRegistry
  /** The compiled `trustProxy` option (compileTrustProxy). */
  trustProxy: ProxyTrust
  via: string
  random?: () => number
}

type AttemptOutcome =
  | { kind: 'response'; answer: UpstreamAnswer }
  | { kind: 'timeout' | 'connect' | 'client-gone' | 'too-large'; error: unknown }

// Abort reasons, compared by identity (undici rejects the request with the reason it was aborted with).
const TIMEOUT = new Error('upstream attempt timed out')
const CLIENT_GONE = new Error('client went away')
const abortOnTimeout = (signal: AttemptSignal): void => signal.abort(TIMEOUT)

/** Flat [name, value, …] pairs as a header record, repeated names as lists (for answers node-server writes). */
const headerList = (pairs: readonly string[]): Record<string, string | string[]> => {
  const headers: Record<string, string | string[]> = {}
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!
    const known = headers[name]
    headers[name] = known === undefined ? pairs[i + 1]! : [...(Array.isArray(known) ? known : [known]), pairs[i + 1]!]
  }
  return headers
}

/** Waits `ms`, or less if the client goes away meanwhile. */
const sleep = (ms: number, client: ClientWatch): Promise<void> =>
  new Promise((resolve) => {
    if (client.gone) return resolve()
    const timer = setTimeout(done, ms)
    const stopWatching = client.onGone(done)
    function done() {
      clearTimeout(timer)
      stopWatching()
      resolve()
    }
  })

const causeChain = (error: unknown): unknown[] => {
  const chain: unknown[] = []
  for (let e = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e)
  return chain
}

/** Splits an absolute request URL into its raw path and query, without URL parsing. */
const rawPathAndQuery = (url: string): { search: string } => {
  const q = url.indexOf('?', url.indexOf('/', url.indexOf('//') + 2))
  return { search: q < 0 ? '' : url.slice(q) }
}

/** The key a `hash` pool balances on: the configured header, else the client IP; undefined for other strategies. */
export const hashKeyOf = (c: Context, route: Route): string | undefined => {
  const pool = route.pool
  return pool.strategy !== 'hash' ? undefined : pool.hashOn ? requestHeader(c, pool.hashOn) : c.get('clientIp')
}

/** A target that may take a request now (healthy, not draining, breaker not open); a retry prefers another one. */
export const pickTarget = (
  route: Route,
  breakers: CircuitBreakerRegistry,
  failed: UpstreamTarget | undefined,
  hashKey: string | undefined,
): UpstreamTarget | undefined => {
  const breakerOptions = route.options.circuitBreaker
  const eligible = (t: UpstreamTarget) => t.healthy && !t.draining && breakers.get(t.origin, breakerOptions).isAvailable()
  const pool = route.pool
  if (failed && pool.targets.length > 1) {
    // A retry goes to another target when one is eligible; otherwise back to the one that failed.
    const other = pool.pick((t) => t !== failed && eligible(t), hashKey)
    if (other) return other
  }
  return pool.pick(eligible, hashKey)
}

/** The upstream request's headers: the client's minus hop-by-hop and spoofable fields, plus stages' overrides. */
export const upstreamHeadersOf = (
  c: Context,
  incoming: IncomingMessage | undefined,
  trustProxy: ProxyTrust,
  via: string,
): Record<string, string> => {
  const raw = incoming?.rawHeaders ?? flattenHeaders(c.req.raw.headers)
  const headers = upstreamRequestHeaders(raw, forwardedInfo(c, trustProxy, via))
  const requestId = c.get('requestId')
  if (requestId !== undefined) headers[c.get('requestIdHeader') ?? 'x-request-id'] = requestId
  const trace = c.get('trace')
  // A tunnel's one exchange is the gateway's own span; the forwarder sets a fresh span per attempt over this.
  if (trace) setTraceHeaders(headers, trace, `00-${trace.traceId}-${trace.spanId}-${trace.flags}`)
  const overrides = c.get('upstreamRequestHeaders')
  if (overrides) {
    for (const name in overrides) {
      const value = overrides[name]
      if (value === undefined) delete headers[name.toLowerCase()]
      else headers[name.toLowerCase()] = value
    }
  }
  return headers
}

/** The path and query sent upstream (after the target's base path): normalised, the prefix stripped if asked. */
export const upstreamPath = (c: Context, route: Route): string => {
  const path = c.get('normalizedPath')
  const { search } = rawPathAndQuery(c.req.url)
  if (!route.options.stripPrefix || route.prefix === '/') return path + search
  const rest = path.slice(route.prefix.length)
  return (rest === '' ? '/' : rest) + search
}

/** 503 circuit_open with Retry-After from the breaker. */
export const circuitOpenResponse = (c: Context, breaker: CircuitBreaker): Response => {
  const seconds = Math.max(1, Math.ceil(breaker.retryAfterMs() / 1000))
  return jsonError(c, 503, 'circuit_open', 'The upstream circuit is open after repeated failures', { 'Retry-After': String(seconds) })
}

/** The answer when no target may take a request: circuit_open for a lone healthy target, else no_healthy_upstream. */
export const noTargetResponse = (c: Context, route: Route, breakers: CircuitBreakerRegistry): Response => {
  const targets = route.pool.targets
  if (targets.length === 1 && targets[0]!.healthy && !targets[0]!.draining) {
    return circuitOpenResponse(c, breakers.get(targets[0]!.origin, route.options.circuitBreaker))
  }
  let retryMs = Infinity
  for (const t of targets) {
    const wait = breakers.get(t.origin, route.options.circuitBreaker).retryAfterMs()
    if (wait > 0) retryMs = Math.min(retryMs, wait)
  }
  const seconds = Number.isFinite(retryMs) ? Math.max(1, Math.ceil(retryMs / 1000)) : 5
  return jsonError(c, 503, 'no_healthy_upstream', 'No healthy upstream target is available for this route', {
    'Retry-After': String(seconds),
  })
}

export class Forwarder {
  readonly #options: ForwarderOptions
  readonly #random: () => number

  constructor(options: ForwarderOptions) {
    this.#options = options
    this.#random = options.random ?? Math.random
  }

  /**
   * One upstream exchange, without the route's retries: for stages that run their own retry policy.
   * `throttleStatuses` (the upstream saying "slow down") count neither for nor against the circuit breaker.
   */
  forwardOnce = (c: Context, throttleStatuses: readonly number[] = []): Promise<Response> => this.forward(c, 1, throttleStatuses)

  /** Sends the request in `c` to the route's upstream (with retries) and returns the client's Response. */
  forward = async (c: Context, attemptLimit?: number, throttleStatuses?: readonly number[]): Promise<Response> => {
    const route = c.get('route')
    const { options } = route
    const method = c.req.method
    const incoming = incomingOf(c)
    const client = clientWatch(c)

    const body = await this.#prepareBody(c, route, incoming)
    if (body instanceof Response) return body

    const headers = upstreamHeadersOf(c, incoming, this.#options.trustProxy, this.#options.via)
    const trace = c.get('trace')
    const path = upstreamPath(c, route)
    const hashKey = hashKeyOf(c, route)
    const retry = options.retry
    const maxAttempts = methodRetryable(method, retry) && body.replayable ? Math.min(retry.attempts, attemptLimit ?? Infinity) : 1
    const started = performance.now()
    const budgetMs = options.totalTimeoutMs ?? options.timeoutMs * maxAttempts + retry.maxDelayMs * (maxAttempts - 1)

    let failed: UpstreamTarget | undefined
    let lastFailure: AttemptOutcome | undefined
    for (let attempt = 1; ; attempt++) {
      const target = pickTarget(route, this.#options.breakers, failed, hashKey)
      if (target === undefined) return this.#unavailable(c, route, lastFailure)
      const breaker = this.#options.breakers.get(target.origin, options.circuitBreaker)
      if (!breaker.tryAcquire()) return circuitOpenResponse(c, breaker)

      const remaining = budgetMs - (performance.now() - started)
      const timeoutMs = Math.max(1, Math.min(options.timeoutMs, remaining))
      if (!options.preserveHost) headers.host = target.url.host
      c.set('upstreamTarget', target)
      c.set('upstreamAttempts', attempt)
      const span = trace?.attempt(c, attempt, target)
      if (span) headers.traceparent = span.traceparent
      target.inFlight++
      target.requests++
      const outcome = await this.#attempt(route, target, path, method, headers, body.data, timeoutMs, client)
      target.inFlight--
      span?.end(outcome.kind === 'response' ? outcome.answer.status : undefined, outcome.kind === 'response' ? undefined : outcome.kind)

      if (outcome.kind === 'client-gone') {
        breaker.release()
        return new Response(null, { status: 499 })
      }
      if (outcome.kind === 'too-large') {
        breaker.release()
        return jsonError(c, 413, 'payload_too_large', `Request body exceeds ${options.maxBodyBytes} bytes`)
      }
      const upstreamFailed = outcome.kind !== 'response' || outcome.answer.status >= 500
      if (outcome.kind === 'response' && throttleStatuses?.includes(outcome.answer.status)) breaker.release()
      else if (upstreamFailed) {
        breaker.onFailure()
        target.failures++
      } else breaker.onSuccess()

      const retryable = outcome.kind !== 'response' || (upstreamFailed && retry.retryOnStatus.includes(outcome.answer.status))
      if (retryable && attempt < maxAttempts && !client.gone) {
        const delay = backoffDelayMs(retry, attempt, this.#random)
        if (performance.now() - started + delay < budgetMs) {
          if (outcome.kind === 'response') discardBody(outcome.answer)
          failed = target
          lastFailure = outcome
          await sleep(delay, client)
          if (client.gone) return new Response(null, { status: 499 })
          continue
        }
      }
      if (outcome.kind === 'response') return this.#respond(c, route, target, outcome.answer)
      return this.#failure(c, outcome)
    }
  }

  async #attempt(
    route: Route,
    target: UpstreamTarget,
    path: string,
    method: string,
    headers: Record<string, string>,
    body: Buffer | Readable | null,
    timeoutMs: number,
    client: ClientWatch,
  ): Promise<AttemptOutcome> {
    const signal = new AttemptSignal()
    const timer = setTimeout(abortOnTimeout, timeoutMs, signal)
    const stopWatching = client.onGone(() => signal.abort(CLIENT_GONE))
    try {
      const { options } = route
      const request: Dispatcher.DispatchOptions = {
        origin: target.origin,
        path: target.basePath + path,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        headersTimeout: 0,
        bodyTimeout: timeoutMs,
      }
      // SNI otherwise follows the Host header, which preserveHost makes the client's.
      if (options.tls?.servername !== undefined) (request as { servername?: string }).servername = options.tls.servername
      const answer = await exchange(
        routeDispatcher(this.#options.dispatcher, options),
        request,
        signal,
        SMALL_BODY_BYTES,
        method === 'HEAD',
      )
      return { kind: 'response', answer }
    } catch (error) {
      const reason: unknown = signal.reason
      if (reason === CLIENT_GONE || client.gone) return { kind: 'client-gone', error }
      if (reason === TIMEOUT) return { kind: 'timeout', error }
      if (causeChain(error).some((e) => e instanceof BodyTooLargeError)) return { kind: 'too-large', error }
      return { kind: 'connect', error }
    } finally {
      clearTimeout(timer)
      stopWatching()
    }
  }

  #respond(c: Context, route: Route, target: UpstreamTarget, answer: UpstreamAnswer): Response {
    const { status, body } = answer
    const headers = cleanResponseHeaders(answer.headers, this.#options.via)
    const { rewriteRedirects: redirects, rewriteCookies: cookies } = route.options
    if (redirects || cookies) {
      const mapping = {
        targetOrigin: target.origin,
        targetBasePath: target.basePath,
        routePrefix: route.prefix,
        stripPrefix: route.options.stripPrefix,
      }
      rewriteResponseAddresses(headers, mapping, () => this.#publicAddress(c), { redirects, cookies })
    }
    const direct = canWriteDirect(c)
    if (direct) return writeDirect(c, direct, status, headers, body)
    if (body === null)
      return exactResponse(c.body(null, status as Exclude<StatusCode, ContentfulStatusCode> | 200, headerList(headers)), null)
    if (Buffer.isBuffer(body)) {
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength) as Uint8Array<ArrayBuffer>
      return exactResponse(c.body(bytes, status as ContentfulStatusCode, headerList(headers)), bytes)
    }
    // ReadableStream.from pulls through the body's async iterator and destroys it on cancel; Readable.toWeb can
    // push a buffered chunk into the closed controller after a cancel on Node 20 (an uncaught TypeError).
    return exactResponse(c.body(ReadableStream.from(body) as ReadableStream, status as ContentfulStatusCode, headerList(headers)), body)
  }

  async #prepareBody(
    c: Context,
    route: Route,
    incoming: IncomingMessage | undefined,
  ): Promise<{ data: Buffer | Readable | null; replayable: boolean } | Response> {
    // The cache stage refuses to forward a GET/HEAD body it cannot key on (unless the route opts in).
    if (c.get('dropRequestBody')) return { data: null, replayable: true }
    const lengthHeader = requestHeader(c, 'content-length')
    const chunked = requestHeader(c, 'transfer-encoding') !== undefined
    // A Fetch API Request (no socket) may carry a body stream without any length header.
    const unframed = lengthHeader === undefined && !chunked
    if (unframed && (incoming || c.req.raw.body === null)) return { data: null, replayable: true }
    const max = route.options.maxBodyBytes
    let length = -1
    if (lengthHeader !== undefined) {
      if (!/^\d{1,15}$/.test(lengthHeader)) return jsonError(c, 400, 'bad_request', 'Malformed Content-Length header')
      length = Number(lengthHeader)
      if (length > max) return jsonError(c, 413, 'payload_too_large', `Request body exceeds ${max} bytes`)
      if (length === 0) return { data: null, replayable: true }
    }
    const source: AsyncIterable<Uint8Array> | null = incoming ? bodySource(incoming) : (c.req.raw.body as AsyncIterable<Uint8Array> | null)
    if (!source) return { data: null, replayable: true }
    if (length >= 0 && length <= SMALL_BODY_BYTES) {
      try {
        return { data: await readBody(source, max), replayable: true }
      } catch (error) {
        if (error instanceof BodyTooLargeError) return jsonError(c, 413, 'payload_too_large', `Request body exceeds ${max} bytes`)
        return new Response(null, { status: 499 })
      }
    }
    // Streamed through: Content-Length is enforced by Node's parser; chunked bodies are counted as they pass.
    return { data: length >= 0 && incoming ? incoming : Readable.from(limitBody(source, max), { objectMode: false }), replayable: false }
  }

  /** Where the client reached the gateway: its Host (or trusted X-Forwarded-Host) and the connection's scheme. */
  #publicAddress(c: Context): PublicAddress {
    const info = forwardedInfo(c, this.#options.trustProxy, this.#options.via)
    const origin = `${info.proto}://${info.forwardedHost}`
    let hostname = info.forwardedHost
    try {
      hostname = new URL(origin).hostname
    } catch {
      // an unparsable Host leaves the cookie domain as the header gave it
    }
    return { origin, hostname }
  }

  #unavailable(c: Context, route: Route, lastFailure: AttemptOutcome | undefined): Response {
    return lastFailure ? this.#failure(c, lastFailure) : noTargetResponse(c, route, this.#options.breakers)
  }

  #failure(c: Context, outcome: AttemptOutcome): Response {
    if (outcome.kind === 'timeout') {
      return jsonError(c, 504 as ContentfulStatusCode, 'upstream_timeout', 'The upstream did not answer in time')
    }
    return jsonError(c, 502, 'bad_gateway', 'The upstream could not be reached or failed')
  }
}
