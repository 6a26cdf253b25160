// The core's route options, declared once: registerRoute's types and validation come from here.
import { boolean, integer, number, oneOf, text, z } from '../schema/kit.js'

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const

const method = z
  .string({ error: () => `one of ${HTTP_METHODS.join(', ')}` })
  .transform((m) => m.toUpperCase())
  .pipe(oneOf(HTTP_METHODS))

export const retrySchema = z.strictObject({
  /** Every try counts: 1 means no retry. Default 2. */
  attempts: integer(1, 10).optional(),
  /** Delay before the first retry, in ms. Default 100. */
  initialDelayMs: number(0, 60_000).optional(),
  /** Growth of the delay per retry. Default 2. */
  multiplier: number(1, 10).optional(),
  /** ± share of the delay drawn at random (0..1). Default 0.2. */
  jitter: number(0, 1).optional(),
  /** Upper bound of one delay, in ms. Default 5 000. */
  maxDelayMs: number(0, 600_000).optional(),
  /** Upstream statuses that are retried. Default 502, 503, 504. */
  retryOnStatus: z.array(integer(500, 599)).optional(),
  /** Also retry POST and PATCH (the route accepts that the upstream may see them twice). Default false. */
  retryNonIdempotent: boolean().optional(),
})

export const circuitBreakerSchema = z.strictObject({
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold: integer(1, 10_000).optional(),
  /** Time the circuit stays open before a probe, in ms. Default 60 000. */
  recoveryTimeoutMs: integer(1, 86_400_000).optional(),
  /** Successes in HALF_OPEN that close it. Default 3. */
  successThreshold: integer(1, 10_000).optional(),
  /** Probes let through at a time in HALF_OPEN. Default 1. */
  halfOpenMaxProbes: integer(1, 1_000).optional(),
})

const PEM_FORM = 'a PEM string ("-----BEGIN …")'
const pem = () => text(PEM_FORM).regex(/-----BEGIN [A-Z0-9 ]+-----/, { error: () => PEM_FORM })

/** TLS to the route's https:// targets (Node's tls.connect options of the same names). */
export const upstreamTLSSchema = z
  .strictObject({
    /** Certificate authorities trusted for the upstream's certificate, instead of Node's bundled ones. */
    ca: z.union([pem(), z.array(pem()).min(1, { error: () => `a non-empty list of ${PEM_FORM}s` })]).optional(),
    /** Refuse an upstream certificate that does not verify. Default true. */
    rejectUnauthorized: boolean().optional(),
    /** Host name sent in SNI and checked against the certificate. Default: the target's host name. */
    servername: text('a host name').optional(),
    /** Client certificate (PEM) for mutual TLS; needs `key`. */
    cert: pem().optional(),
    /** Private key (PEM) of `cert`. */
    key: pem().optional(),
    /** Passphrase of an encrypted `key`. */
    passphrase: z.string({ error: () => 'a string' }).optional(),
  })
  .superRefine((tls, ctx) => {
    if (tls.cert !== undefined && tls.key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: '!is required with tls.cert' })
    }
    if (tls.key !== undefined && tls.cert === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cert'], message: '!is required with tls.key' })
    }
    if (tls.passphrase !== undefined && tls.key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: '!is required with tls.passphrase' })
    }
  })

const METHODS_FORM = 'a non-empty list of HTTP methods such as ["GET", "POST"]'

const ROUTE_ID = /^[A-Za-z0-9_.-]{1,100}$/
const ROUTE_ID_FORM = '1-100 characters of letters, digits, "_", "." or "-"'

/** registerRoute's own fields; capabilities add theirs in their own schema files. */
export const coreRouteSchema = z.strictObject({
  /** Allowed methods; others get 405 with an Allow header. Default: all. */
  methods: z
    .array(method, { error: () => METHODS_FORM })
    .min(1, { error: () => METHODS_FORM })
    .optional(),
  /** Per upstream attempt, in ms; exceeded → 504 upstream_timeout. Default 30 000. */
  timeoutMs: number(1, 3_600_000).optional(),
  /** Total time budget for all attempts and backoff, in ms. Default: timeoutMs × attempts + backoff. */
  totalTimeoutMs: number(1, 3_600_000).optional(),
  retry: retrySchema.optional(),
  circuitBreaker: circuitBreakerSchema.optional(),
  /** Remove the route prefix before forwarding. Default false: the upstream sees the full path. */
  stripPrefix: boolean().optional(),
  /** Largest request body accepted, in bytes; larger → 413. Default 10 MiB. */
  maxBodyBytes: integer(0, 2 ** 40).optional(),
  /** A stable id for the admin API and metrics; default derived from the prefix (`/api/users` → `api-users`). */
  id: z
    .string({ error: () => ROUTE_ID_FORM })
    .regex(ROUTE_ID, { error: () => ROUTE_ID_FORM })
    .optional(),
  /** Send the client's Host header upstream instead of the target's host. Default false (like Kong and nginx). */
  preserveHost: boolean().optional(),
  /**
   * Rewrite Location and Content-Location that point at the chosen target (its origin, base path, and the stripped
   * prefix) to the gateway's public origin and route prefix. Default true (nginx's proxy_redirect default).
   */
  rewriteRedirects: boolean().optional(),
  /** Rewrite Set-Cookie `Domain` (the target's host) and `Path` (under the target) to the public ones. Default false. */
  rewriteCookies: boolean().optional(),
  /**
   * Offer HTTP/2 to https:// targets in ALPN; an upstream that picks http/1.1 is spoken to in HTTP/1.1. Default false.
   */
  http2: boolean().optional(),
  /** Concurrent streams on one HTTP/2 connection (the upstream's SETTINGS may lower it). Default 100. */
  http2MaxConcurrentStreams: integer(1, 10_000).optional(),
  tls: upstreamTLSSchema.optional(),
})

export type CoreRouteOptions = z.input<typeof coreRouteSchema>
export type UpstreamTLSOptions = z.input<typeof upstreamTLSSchema>
