// The config file's schema: the app's own fields plus the core's gateway and route schemas, declared once.
import {
  UPSTREAM_FORM,
  extendStrict,
  gatewayOptionsSchema,
  rateLimitSchema,
  redisConfigSchema,
  routeOptionsSchema,
  serverLimitsSchema,
  upstreamSpecSchema,
} from '@tollgate/core'
import { z } from 'zod'

/** Log levels accepted by `logLevel` / `LOG_LEVEL` (consola's names). */
export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'verbose'] as const
export type LogLevelName = (typeof LOG_LEVELS)[number]

export const KEY_STORES = ['memory', 'file', 'redis'] as const
export type KeyStoreKind = (typeof KEY_STORES)[number]

/** `upstream: "demo"` routes to the bundled demo upstream. */
export const DEMO_UPSTREAM = 'demo'

const form = (text: string) => ({ error: () => text })
const PORT = 'an integer from 0 to 65535'
const ADMIN_TOKEN = '!must be a string of at least 16 characters without spaces (e.g. from `openssl rand -hex 32`)'
const PREFIX = 'a path starting with "/", such as "/api/users"'

const WORKERS = 'a whole number of worker processes from 1 to 1024, or "auto" (one per available core)'
export const workersSchema = z.union(
  [z.literal('auto'), z.number(form(WORKERS)).int(form(WORKERS)).min(1, form(WORKERS)).max(1_024, form(WORKERS))],
  form(WORKERS),
)

export const portSchema = z.number(form(PORT)).int(form(PORT)).min(0, form(PORT)).max(65_535, form(PORT))

/** Never echoed in an error, even malformed: the "!" message is shown as it is, without the value. */
export const adminTokenSchema = z.string(form(ADMIN_TOKEN)).refine((token) => token.length >= 16 && !/\s/.test(token), form(ADMIN_TOKEN))

export const logLevelSchema = z.enum(LOG_LEVELS, form(`one of ${LOG_LEVELS.join(', ')}`))

export const keysSchema = z.strictObject({
  /** Where API keys are kept. Default "redis" when redisUrl is set, else "file". */
  store: z.enum(KEY_STORES, form(`one of ${KEY_STORES.map((s) => `"${s}"`).join(', ')}`)),
  /** Key file for the "file" store, relative to the config file. Default "data/keys.json". */
  file: z.string(form('a file path such as "data/keys.json"')).min(1, form('a file path such as "data/keys.json"')).optional(),
})

export const demoUpstreamSchema = z.strictObject({
  /** Loopback port of the demo upstream; default 0 (a free one). */
  port: portSchema.optional(),
  /** Latency added to every demo answer, in ms. Default 0. */
  latencyMs: z
    .number(form('a number from 0 to 60000'))
    .min(0, form('a number from 0 to 60000'))
    .max(60_000, form('a number from 0 to 60000'))
    .optional(),
  /** Share of demo answers (0..1) that fail with 503. Default 0. */
  failureRate: z.number(form('a number from 0 to 1')).min(0, form('a number from 0 to 1')).max(1, form('a number from 0 to 1')).optional(),
})

/** One route: `prefix` and `upstream` (or "demo"), then every registerRoute option. */
export const routeConfigSchema = extendStrict(routeOptionsSchema, {
  prefix: z.string(form(PREFIX)).startsWith('/', form(PREFIX)),
  upstream: z.union([z.literal(DEMO_UPSTREAM), upstreamSpecSchema], form(`${UPSTREAM_FORM} (or "demo" for the bundled demo upstream)`)),
})

const gateway = gatewayOptionsSchema.shape

/** The config file: the app's fields and the APIGateway options a file can hold (no functions or instances). */
export const configFileSchema = z
  .strictObject({
    /** Editor support: "./tollgate.schema.json". */
    $schema: z.string().optional(),
    /** Port to listen on; 0 picks a free one. Default 8080. */
    port: portSchema.optional(),
    /**
     * Gateway processes serving the port (node:cluster), each a full gateway; "auto" = one per available core.
     * Above 1 it needs redisUrl (limits, keys, cache and upstream budgets shared). Default 1: one process, no cluster.
     */
    workers: workersSchema.optional(),
    /** Interface to bind. Default "0.0.0.0". */
    host: z.string(form('an interface address such as "0.0.0.0"')).min(1, form('an interface address such as "0.0.0.0"')).optional(),
    redisUrl: gateway.redisUrl,
    /**
     * Redis in any form: { url, tls? }, { cluster: ["host:port", …], options? } or { sentinels: [{ host, port }], name }
     * (tls ca/cert/key: PEM text or a file path relative to the config file). Not together with redisUrl.
     */
    redis: redisConfigSchema.optional(),
    adminToken: adminTokenSchema.optional(),
    trustProxy: gateway.trustProxy,
    defaultRateLimit: rateLimitSchema.optional(),
    rateLimitHeaders: gateway.rateLimitHeaders,
    storeTimeoutMs: gateway.storeTimeoutMs,
    onStoreFailure: gateway.onStoreFailure,
    keyPrefix: gateway.keyPrefix,
    upstreamTierWeights: gateway.upstreamTierWeights,
    cache: z.strictObject({ maxSizeBytes: z.number().int().min(1).optional() }).optional(),
    server: serverLimitsSchema.optional(),
    shutdownTimeoutMs: gateway.shutdownTimeoutMs,
    /** On SIGTERM, how long /_health/ready answers 503 (everything else still served) before the listener closes, in ms. Default 5 000. */
    drainDelayMs: gateway.drainDelayMs,
    /** Port of the admin listener (status endpoints, /_admin, dashboard); the traffic port then serves only live/ready. */
    adminPort: portSchema.optional(),
    /** Interface of the admin listener. Default "127.0.0.1". */
    adminHost: gateway.adminHost,
    /** Status endpoints without the admin token: default only on a loopback listener. */
    publicStatus: gateway.publicStatus,
    via: gateway.via,
    requestIdHeader: gateway.requestIdHeader,
    /** W3C trace propagation (default on); `false` sends no traceparent; `opentelemetry: true` records spans on the provider an --import'ed SDK registered. */
    tracing: z
      .union(
        [z.literal(false), z.strictObject({ propagate: z.boolean().optional(), opentelemetry: z.boolean().optional() })],
        form('false or { propagate, opentelemetry }'),
      )
      .optional(),
    /** One JSON line per request on stdout (pretty on a terminal). Default on; false turns it off; `sample` logs a share (5xx always). */
    accessLog: z
      .union([z.boolean(), z.strictObject({ sample: z.number().min(0).max(1).optional() })], form('true, false or { sample: 0..1 }'))
      .optional(),
    keys: keysSchema.optional(),
    routes: z.array(routeConfigSchema, form('a list of { prefix, upstream, ...options }')),
    demoUpstream: demoUpstreamSchema.optional(),
    logLevel: logLevelSchema.optional(),
    /** A JSON file of upstream-limit preset overrides (per tenant or environment), merged over the built-in presets. */
    upstreamPresetsFile: z.string(form('a JSON file path such as "presets.json"')).min(1).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.redis !== undefined && config.redisUrl !== undefined)
      ctx.addIssue({ code: 'custom', path: ['redis'], message: '!cannot be set together with redisUrl (or REDIS_URL): keep one' })
  })

export type ConfigFile = z.input<typeof configFileSchema>
export type RouteConfig = z.output<typeof routeConfigSchema>
export type KeysConfig = z.output<typeof keysSchema>
export type DemoUpstreamConfig = z.output<typeof demoUpstreamSchema>

/** The config as it is used: defaults filled in, values checked. */
export type TollgateConfig = Omit<z.output<typeof configFileSchema>, '$schema' | 'port' | 'host'> & { port: number; host: string }

/** What a TS config file may export (typed by defineConfig). */
export type TollgateConfigInput = ConfigFile
