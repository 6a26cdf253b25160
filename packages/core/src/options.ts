// Options of the APIGateway constructor: the core's fields, declared once. Capabilities add theirs (schema.ts in
// each folder) and extend GatewayOptions by declaration merging; option-schemas.ts composes them all.
import type { Clock } from './clock.js'
import { redisOptionSchema } from './redis/schema.js'
import { boolean, integer, text, withMethods, z } from './schema/kit.js'

/** The slice of a logger the gateway uses (consola fits; so does console). */
export interface Logger {
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
  debug(...args: unknown[]): void
}

const REDIS_URL_FORM = 'a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"'

export const serverLimitsSchema = z.strictObject({
  /** Largest header block, in bytes; larger → 431. Default 16 384. */
  maxHeaderBytes: integer(1_024, 1_048_576).optional(),
  /** Time a client has to send all headers, in ms. Default 10 000. */
  headersTimeoutMs: integer(1, 3_600_000).optional(),
  /** Time a client has to send the whole request, in ms. Default 300 000. */
  requestTimeoutMs: integer(0, 86_400_000).optional(),
  /** Idle keep-alive timeout for client connections, in ms. Default 5 000. */
  keepAliveTimeoutMs: integer(0, 3_600_000).optional(),
})

const TRUST_PROXY_FORM = 'true, false, a number of trusted hops (0-100), or a list of proxy IPs'

export const coreGatewaySchema = z
  .strictObject({
    /** Logger for startup, warnings and (with logging()) request lines. Default: consola tagged "tollgate". */
    logger: withMethods<Logger>('a logger with info, warn, error and debug', ['info', 'warn', 'error', 'debug']).optional(),
    /**
     * Trust X-Forwarded-For/-Proto/-Host from the peer: `true` (any peer), a number of trusted hops,
     * or a list of trusted proxy IPs. Default false: the socket peer is the client.
     */
    trustProxy: z.union([boolean(), integer(0, 100), z.array(text('an IP address'))], { error: () => TRUST_PROXY_FORM }).optional(),
    /** Bearer token for /_admin and other admin endpoints; absent → the admin API answers 404. */
    adminToken: text('a non-empty token').optional(),
    /** Redis URL shared by the stores (rate limits, keys, cache, upstream limits); absent → in-memory stores. */
    redisUrl: z
      .string({ error: () => REDIS_URL_FORM })
      .regex(/^rediss?:\/\/[^\s]+$/, { error: () => REDIS_URL_FORM })
      .optional(),
    /**
     * Redis shared by the stores, in any form: `{ url, tls? }`, `{ cluster: [nodes], options? }`,
     * `{ sentinels: [{ host, port }], name, options? }`, or a ready ioredis `Redis`/`Cluster` (which the caller closes).
     * Not together with `redisUrl`.
     */
    redis: redisOptionSchema.optional(),
    /** Clock for every time-based decision (tests inject fake time). */
    clock: withMethods<Clock>('a clock { now(): number }', ['now']).optional(),
    /** Limits on what clients send. */
    server: serverLimitsSchema.optional(),
    /** Time given to in-flight requests on stop(), in ms. Default 10 000. */
    shutdownTimeoutMs: integer(0, 3_600_000).optional(),
    /**
     * Most connections the gateway opens to one upstream origin (scheme + host + port). Requests beyond it wait
     * in that origin's queue (`upstream_requests_queued` in /_metrics) until a connection is free; their route
     * timeout keeps running while they wait. Default 128, sized for a 2-core machine.
     */
    maxConnectionsPerOrigin: integer(1, 100_000).optional(),
    /** Value for the Via header. Default "1.1 tollgate". */
    via: text().optional(),
  })
  .superRefine((options, ctx) => {
    if (options.redis !== undefined && options.redisUrl !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['redis'],
        message: '!cannot be set together with redisUrl: keep one (redis: { url } is the same as redisUrl)',
      })
  })

export type ServerLimits = z.input<typeof serverLimitsSchema>

/** The APIGateway constructor's options; each capability extends this interface with its schema's fields. */
export interface GatewayOptions extends z.input<typeof coreGatewaySchema> {}
