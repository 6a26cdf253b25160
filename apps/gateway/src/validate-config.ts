// Validation of the gateway's config file: every error names the field and the form it expects.
import { ConfigError, describeValue, isPlainObject } from '@tollgate/core'

/** Log levels accepted by `logLevel` / `LOG_LEVEL` (consola's names). */
export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'verbose'] as const
export type LogLevelName = (typeof LOG_LEVELS)[number]

export const KEY_STORES = ['memory', 'file', 'redis'] as const
export type KeyStoreKind = (typeof KEY_STORES)[number]

/** `upstream: "demo"` routes to the bundled demo upstream. */
export const DEMO_UPSTREAM = 'demo'

export interface KeysConfig {
  /** Where API keys live. Default: "redis" when redisUrl is set, else "file". */
  store: KeyStoreKind
  /** Key file for the "file" store, relative to the config file. Default "data/keys.json". */
  file?: string
}

export interface DemoUpstreamConfig {
  /** Loopback port of the demo upstream; default 0 (a free one). */
  port?: number
  /** Latency added to every demo answer, in ms. Default 0. */
  latencyMs?: number
  /** Share of demo answers (0..1) that fail with 503. Default 0. */
  failureRate?: number
}

/** One route: `prefix` and `upstream`; every other field is a registerRoute option, passed to the core as is. */
export interface RouteConfig {
  prefix: string
  /** A URL, a list of URLs, a pool `{ targets: [...] }`, or "demo" for the bundled demo upstream. */
  upstream: string | string[] | { targets: unknown[]; [option: string]: unknown }
  [option: string]: unknown
}

/** The gateway's config as it is used: defaults filled in, values checked. */
export interface TollgateConfig {
  port: number
  host: string
  redisUrl?: string
  adminToken?: string
  trustProxy?: boolean | number | string[]
  defaultRateLimit?: Record<string, unknown>
  keys?: KeysConfig
  routes: RouteConfig[]
  demoUpstream?: DemoUpstreamConfig
  logLevel?: LogLevelName
  shutdownTimeoutMs?: number
  server?: { maxHeaderBytes?: number; headersTimeoutMs?: number; requestTimeoutMs?: number; keepAliveTimeoutMs?: number }
  /** A JSON file of upstream-limit preset overrides (per tenant or environment), merged over the built-in presets. */
  upstreamPresetsFile?: string
  /** Fields this app does not know are passed to the APIGateway constructor unchanged (with a warning). */
  [option: string]: unknown
}

/** What a config file may contain: everything optional but `routes`. */
export type TollgateConfigInput = Partial<Omit<TollgateConfig, 'routes'>> & { routes: RouteConfig[] }

/** Top-level fields this app knows; anything else goes to the APIGateway constructor as it is. */
export const KNOWN_FIELDS = new Set([
  'port',
  'host',
  'redisUrl',
  'adminToken',
  'trustProxy',
  'defaultRateLimit',
  'keys',
  'routes',
  'demoUpstream',
  'logLevel',
  'shutdownTimeoutMs',
  'server',
  'upstreamPresetsFile',
  '$schema',
])

/** JSON has no comments: keys starting with "//" are notes, dropped before anything else sees the config. */
const isNote = (name: string): boolean => name.startsWith('//')
const withoutNotes = (value: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).filter(([name]) => !isNote(name)))

/** registerRoute options of the core and its capabilities; others are passed through with a warning. */
export const KNOWN_ROUTE_FIELDS = new Set([
  'prefix',
  'upstream',
  'methods',
  'timeoutMs',
  'totalTimeoutMs',
  'retry',
  'circuitBreaker',
  'stripPrefix',
  'maxBodyBytes',
  'id',
  'preserveHost',
  'rateLimit',
  'requireAuth',
  'cacheTtl',
  'staleIfError',
  'cacheShared',
  'cacheVaryOnEncoding',
  'cacheMaxBodyBytes',
  'upstreamLimit',
])

const fail = (field: string, expected: string, value: unknown): never => {
  throw new ConfigError(`${field} must be ${expected}, got ${describeValue(value)}`)
}

export const checkPort = (field: string, value: unknown): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65_535
    ? value
    : fail(field, 'an integer from 0 to 65535', value)

const checkNumber = (field: string, value: unknown, min: number, max: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
    ? value
    : fail(field, `a number from ${min} to ${max}`, value)

const checkString = (field: string, value: unknown, expected = 'a non-empty string'): string =>
  typeof value === 'string' && value.trim() !== '' ? value : fail(field, expected, value)

export const checkRedisUrl = (field: string, value: unknown): string => {
  const expected = 'a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"'
  if (typeof value !== 'string') return fail(field, expected, value)
  try {
    const url = new URL(value)
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return value
  } catch {
    // fall through to the error naming the field
  }
  return fail(field, expected, value.replace(/\/\/[^@/]*@/, '//***@'))
}

export const checkAdminToken = (field: string, value: unknown): string => {
  if (typeof value !== 'string' || value.length < 16 || /\s/.test(value)) {
    // Never echo a secret, even a malformed one.
    throw new ConfigError(`${field} must be a string of at least 16 characters without spaces (e.g. from \`openssl rand -hex 32\`)`)
  }
  return value
}

export const checkTrustProxy = (field: string, value: unknown): boolean | number | string[] => {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100) return value
  if (Array.isArray(value) && value.length > 0 && value.every((ip) => typeof ip === 'string' && ip.trim() !== '')) return value as string[]
  return fail(field, 'true, false, a number of trusted hops (0-100), or a list of proxy IPs', value)
}

export const checkLogLevel = (field: string, value: unknown): LogLevelName =>
  LOG_LEVELS.includes(value as LogLevelName) ? (value as LogLevelName) : fail(field, `one of ${LOG_LEVELS.join(', ')}`, value)

const checkObject = (field: string, value: unknown, example: string): Record<string, unknown> =>
  isPlainObject(value) ? value : fail(field, `an object such as ${example}`, value)

const checkKeys = (value: unknown): KeysConfig => {
  const keys = checkObject('keys', value, '{ "store": "file", "file": "data/keys.json" }')
  if (!KEY_STORES.includes(keys.store as KeyStoreKind))
    fail('keys.store', `one of ${KEY_STORES.map((s) => `"${s}"`).join(', ')}`, keys.store)
  const out: KeysConfig = { store: keys.store as KeyStoreKind }
  if (keys.file !== undefined) out.file = checkString('keys.file', keys.file, 'a file path such as "data/keys.json"')
  else if (out.store === 'file') out.file = 'data/keys.json'
  return out
}

const checkDemoUpstream = (value: unknown): DemoUpstreamConfig => {
  const demo = checkObject('demoUpstream', value, '{ "latencyMs": 20, "failureRate": 0.1 }')
  const out: DemoUpstreamConfig = {}
  if (demo.port !== undefined) out.port = checkPort('demoUpstream.port', demo.port)
  if (demo.latencyMs !== undefined) out.latencyMs = checkNumber('demoUpstream.latencyMs', demo.latencyMs, 0, 60_000)
  if (demo.failureRate !== undefined) out.failureRate = checkNumber('demoUpstream.failureRate', demo.failureRate, 0, 1)
  return out
}

const checkServer = (value: unknown): NonNullable<TollgateConfig['server']> => {
  const server = checkObject('server', value, '{ "maxHeaderBytes": 16384 }')
  for (const [name, v] of Object.entries(server)) {
    if (!['maxHeaderBytes', 'headersTimeoutMs', 'requestTimeoutMs', 'keepAliveTimeoutMs'].includes(name)) {
      throw new ConfigError(
        `server.${name} is not an option; expected maxHeaderBytes, headersTimeoutMs, requestTimeoutMs or keepAliveTimeoutMs`,
      )
    }
    checkNumber(`server.${name}`, v, 1, 86_400_000)
  }
  return server
}

const UPSTREAM_FORM = 'a URL string, a list of URLs, or { targets: [...] }'

const checkUpstream = (field: string, value: unknown): RouteConfig['upstream'] => {
  if (value === DEMO_UPSTREAM) return value
  if (typeof value === 'string' && /^https?:\/\//.test(value)) return value
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' || isPlainObject(v))) return value as string[]
  if (isPlainObject(value) && Array.isArray(value.targets) && value.targets.length > 0) {
    return value as { targets: unknown[] }
  }
  return fail(field, `${UPSTREAM_FORM} (or "demo" for the bundled demo upstream)`, value)
}

const checkRoute = (value: unknown, i: number, seen: Map<string, number>): RouteConfig => {
  const field = `routes[${i}]`
  const route = withoutNotes(checkObject(field, value, '{ "prefix": "/api/users", "upstream": "http://127.0.0.1:8001" }'))
  const prefix = checkString(`${field}.prefix`, route.prefix, 'a path starting with "/", such as "/api/users"')
  if (!prefix.startsWith('/')) fail(`${field}.prefix`, 'a path starting with "/", such as "/api/users"', prefix)
  const key = prefix.replace(/\/+$/, '') || '/'
  const first = seen.get(key)
  if (first !== undefined)
    throw new ConfigError(`${field}.prefix "${prefix}" duplicates routes[${first}].prefix; each prefix may appear once`)
  seen.set(key, i)
  if (route.upstream === undefined) throw new ConfigError(`${field}.upstream is required: ${UPSTREAM_FORM}`)
  const upstream = checkUpstream(`${field}.upstream`, route.upstream)

  // Shapes only: the core checks ranges and fills defaults when the route is registered.
  const { methods } = route
  if (methods !== undefined && (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string'))) {
    fail(`${field}.methods`, 'a non-empty list of HTTP methods such as ["GET", "POST"]', methods)
  }
  for (const name of ['retry', 'circuitBreaker', 'rateLimit', 'upstreamLimit']) {
    if (route[name] !== undefined && !isPlainObject(route[name])) fail(`${field}.${name}`, 'an object', route[name])
  }
  for (const name of ['stripPrefix', 'preserveHost', 'requireAuth', 'cacheShared', 'cacheVaryOnEncoding']) {
    if (route[name] !== undefined && typeof route[name] !== 'boolean') fail(`${field}.${name}`, 'true or false', route[name])
  }
  for (const name of ['timeoutMs', 'totalTimeoutMs', 'maxBodyBytes', 'cacheTtl', 'staleIfError', 'cacheMaxBodyBytes']) {
    const value = route[name]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) fail(`${field}.${name}`, 'a number', value)
  }
  if (route.id !== undefined) checkString(`${field}.id`, route.id, 'a string of letters, digits, "_", "." or "-"')
  return { ...route, prefix, upstream }
}

/** Fields of the config (and of its routes) that this app does not know, as dotted names for a warning. */
export const unknownFields = (config: TollgateConfig): string[] => {
  const out = Object.keys(config).filter((name) => !KNOWN_FIELDS.has(name))
  config.routes.forEach((route, i) => {
    for (const name of Object.keys(route)) if (!KNOWN_ROUTE_FIELDS.has(name)) out.push(`routes[${i}].${name}`)
  })
  return out
}

/**
 * Checks a parsed config (from a file, with env overrides applied) and fills the defaults.
 * @throws ConfigError naming the first invalid field, e.g. `routes[2].upstream must be a URL string, …`
 */
export const validateConfig = (value: unknown, defaults: { port: number; host: string }): TollgateConfig => {
  const raw = withoutNotes(checkObject('config', value, '{ "routes": [{ "prefix": "/api", "upstream": "http://127.0.0.1:8001" }] }'))
  if (!Array.isArray(raw.routes)) fail('routes', 'a list of { prefix, upstream, ...options }', raw.routes)
  const seen = new Map<string, number>()
  const config: TollgateConfig = {
    ...raw,
    port: raw.port === undefined ? defaults.port : checkPort('port', raw.port),
    host: raw.host === undefined ? defaults.host : checkString('host', raw.host, 'an interface address such as "0.0.0.0"'),
    routes: (raw.routes as unknown[]).map((route, i) => checkRoute(route, i, seen)),
  }
  if (raw.redisUrl !== undefined) config.redisUrl = checkRedisUrl('redisUrl', raw.redisUrl)
  if (raw.adminToken !== undefined) config.adminToken = checkAdminToken('adminToken', raw.adminToken)
  if (raw.trustProxy !== undefined) config.trustProxy = checkTrustProxy('trustProxy', raw.trustProxy)
  if (raw.logLevel !== undefined) config.logLevel = checkLogLevel('logLevel', raw.logLevel)
  if (raw.defaultRateLimit !== undefined) {
    config.defaultRateLimit = checkObject('defaultRateLimit', raw.defaultRateLimit, '{ "requestsPerMinute": 60 }')
  }
  if (raw.shutdownTimeoutMs !== undefined) config.shutdownTimeoutMs = checkNumber('shutdownTimeoutMs', raw.shutdownTimeoutMs, 0, 600_000)
  if (raw.server !== undefined) config.server = checkServer(raw.server)
  if (raw.demoUpstream !== undefined) config.demoUpstream = checkDemoUpstream(raw.demoUpstream)
  if (raw.upstreamPresetsFile !== undefined) {
    config.upstreamPresetsFile = checkString('upstreamPresetsFile', raw.upstreamPresetsFile, 'a JSON file path such as "presets.json"')
  }
  // Without a keys section: Redis when there is one, else a file, so keys survive a restart (never memory by surprise).
  config.keys = checkKeys(raw.keys ?? { store: config.redisUrl ? 'redis' : 'file' })
  if (config.keys.store === 'redis' && !config.redisUrl) {
    throw new ConfigError('keys.store is "redis" but redisUrl is not set; set redisUrl (or REDIS_URL) or use "file" or "memory"')
  }
  delete config.$schema
  return config
}
