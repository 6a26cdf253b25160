// Loads the gateway's config: a JSON, YAML or TS/JS file (TOLLGATE_CONFIG or --config), then environment and flag overrides.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, extname, isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '@tollgate/core'
import { parse as parseYAML } from 'yaml'
import {
  DEMO_UPSTREAM,
  checkAdminToken,
  checkDrainDelay,
  checkLogLevel,
  checkPort,
  checkRedis,
  checkRedisUrl,
  checkTrustProxy,
  checkWorkers,
  validateConfig,
  type TollgateConfig,
  type TollgateConfigInput,
} from './validate-config.js'

export * from './validate-config.js'

/** Where the config came from, for the startup banner. */
export interface ConfigSource {
  /** Absolute path of the config file, or undefined for the built-in default. */
  file: string | undefined
  /** Names of the environment variables that overrode the file. */
  env: string[]
}

export interface LoadedConfig {
  config: TollgateConfig
  source: ConfigSource
}

export interface LoadConfigOptions {
  /** Command-line arguments after the script (`--config path` or `--config=path`). Default none. */
  argv?: readonly string[]
  /** Environment to read. Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Folder relative paths are resolved against. Default process.cwd(). */
  cwd?: string
  /** Command-line flags (`--port`, `--host`, `--workers`): they win over the environment and the file. */
  flags?: { port?: number; host?: string; workers?: number | 'auto' }
}

/** Port and host when neither the file nor the environment gives one. */
export const DEFAULT_PORT = 8080
export const DEFAULT_HOST = '0.0.0.0'

/**
 * The config used when none is given: memory limits and cache, keys in .tollgate/keys.json, and the bundled demo upstream, so
 * `curl http://127.0.0.1:8080/api/hello` answers on a fresh machine with no Redis.
 */
export const defaultConfig = (): TollgateConfigInput => ({
  keys: { store: 'file', file: '.tollgate/keys.json' }, // keys issued over the admin API survive a restart
  demoUpstream: {},
  routes: [
    {
      prefix: '/api',
      upstream: DEMO_UPSTREAM,
      methods: ['GET', 'POST'],
      timeoutMs: 5_000,
      retry: { attempts: 2 },
    },
  ],
})

/** Types a TS config file: `export default defineConfig({ routes: [...] })`. */
export const defineConfig = (config: TollgateConfigInput): TollgateConfigInput => config

const CONFIG_FLAG = '--config'

/** The config path from `--config path` / `--config=path`, else TOLLGATE_CONFIG, else undefined. */
export const configPath = (argv: readonly string[], env: NodeJS.ProcessEnv): { path: string; from: string } | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === CONFIG_FLAG) {
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('-')) throw new ConfigError(`${CONFIG_FLAG} must be followed by a file path`)
      return { path: next, from: CONFIG_FLAG }
    }
    if (arg.startsWith(`${CONFIG_FLAG}=`)) return { path: arg.slice(CONFIG_FLAG.length + 1), from: CONFIG_FLAG }
  }
  const fromEnv = env.TOLLGATE_CONFIG?.trim()
  return fromEnv ? { path: fromEnv, from: 'TOLLGATE_CONFIG' } : undefined
}

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'])

/** Reads a JSON or YAML file, or imports a TS/JS module's default export (an object, or a function returning one). */
/** Data formats: the parser and the name used in its error message. */
const DATA_FORMATS: Record<string, [parse: (text: string) => unknown, name: string]> = {
  '.json': [JSON.parse, 'JSON'],
  '.yaml': [(text) => parseYAML(text, { prettyErrors: true }), 'YAML'],
  '.yml': [(text) => parseYAML(text, { prettyErrors: true }), 'YAML'],
}

export const readConfigFile = async (file: string, from: string): Promise<unknown> => {
  const ext = extname(file).toLowerCase()
  const format = DATA_FORMATS[ext]
  if (format) {
    const [parse, name] = format
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'config file not found' : (error as Error).message
      throw new ConfigError(`${from}: ${reason}: ${file}`, { cause: error })
    }
    try {
      return parse(text)
    } catch (error) {
      throw new ConfigError(`${from}: config file ${file} is not valid ${name}: ${(error as Error).message}`, { cause: error })
    }
  }
  if (!MODULE_EXTENSIONS.has(ext)) {
    throw new ConfigError(`${from} must name a .json, .yaml, .yml, .ts or .js file, got ${JSON.stringify(file)}`)
  }
  if (!existsSync(file)) throw new ConfigError(`${from}: config file not found: ${file}`)
  let mod: { default?: unknown }
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown }
  } catch (error) {
    throw new ConfigError(`${from}: cannot load config module ${file}: ${(error as Error).message}`, { cause: error })
  }
  if (mod.default === undefined) {
    throw new ConfigError(`${from}: config module ${file} must have a default export (export default { routes: [...] })`)
  }
  return typeof mod.default === 'function' ? await (mod.default as () => unknown)() : mod.default
}

/** TLS files named in the config are relative to the config file; PEM text stays as it is. */
const resolveTLSFiles = <T extends Record<string, unknown>>(tls: T, base: string): T => {
  const path = (value: string) => (value.includes('-----BEGIN') ? value : resolve(base, value))
  const out: Record<string, unknown> = { ...tls }
  for (const field of ['ca', 'cert', 'key'] as const) {
    const value = tls[field]
    if (typeof value === 'string') out[field] = path(value)
    else if (Array.isArray(value)) out[field] = value.map((item) => (typeof item === 'string' ? path(item) : item))
  }
  return out as T
}

type Override = [env: string, field: keyof TollgateConfig, parse: (name: string, value: string) => unknown]

const parseTrustProxy = (name: string, value: string): unknown => {
  if (value === 'true' || value === 'false') return value === 'true'
  if (/^\d+$/.test(value)) return checkTrustProxy(name, Number(value))
  return checkTrustProxy(
    name,
    value
      .split(',')
      .map((ip) => ip.trim())
      .filter(Boolean),
  )
}

/** Environment variables that win over the file, each checked under its own name. */
const OVERRIDES: readonly Override[] = [
  ['PORT', 'port', (name, v) => checkPort(name, /^\d+$/.test(v) ? Number(v) : v)],
  ['HOST', 'host', (_name, v) => v],
  ['TOLLGATE_ADMIN_PORT', 'adminPort', (name, v) => checkPort(name, /^\d+$/.test(v) ? Number(v) : v)],
  ['TOLLGATE_ADMIN_HOST', 'adminHost', (_name, v) => v],
  ['TOLLGATE_DRAIN_DELAY_MS', 'drainDelayMs', (name, v) => checkDrainDelay(name, /^\d+$/.test(v) ? Number(v) : v)],
  ['REDIS_URL', 'redisUrl', checkRedisUrl],
  ['TOLLGATE_ADMIN_TOKEN', 'adminToken', checkAdminToken],
  ['TOLLGATE_TRUST_PROXY', 'trustProxy', parseTrustProxy],
  ['LOG_LEVEL', 'logLevel', (name, v) => checkLogLevel(name, v.toLowerCase())],
  ['TOLLGATE_WORKERS', 'workers', (name, v) => checkWorkers(name, v === 'auto' ? v : /^\d+$/.test(v) ? Number(v) : v)],
]

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/** REDIS_CLUSTER_NODES or REDIS_SENTINELS (+ REDIS_SENTINEL_NAME) as a `redis` value, checked under the variable's name. */
const redisFromEnv = (env: NodeJS.ProcessEnv): { names: string[]; redis: unknown } | undefined => {
  const nodes = env.REDIS_CLUSTER_NODES?.trim()
  const sentinels = env.REDIS_SENTINELS?.trim()
  const name = env.REDIS_SENTINEL_NAME?.trim()
  if (nodes && sentinels) throw new ConfigError('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: keep one')
  if (nodes) return { names: ['REDIS_CLUSTER_NODES'], redis: checkRedis('REDIS_CLUSTER_NODES', { cluster: list(nodes) }) }
  if (!sentinels) {
    if (name) throw new ConfigError('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS (host:port,host:port,…)')
    return undefined
  }
  if (!name) throw new ConfigError('REDIS_SENTINELS is set without REDIS_SENTINEL_NAME (the master name the sentinels monitor)')
  const addresses = list(sentinels).map((address) => {
    const at = address.lastIndexOf(':')
    if (at <= 0 || !/^\d+$/.test(address.slice(at + 1)))
      throw new ConfigError(`REDIS_SENTINELS must be a comma-separated list of host:port, got ${JSON.stringify(address)}`)
    return { host: address.slice(0, at), port: Number(address.slice(at + 1)) }
  })
  return { names: ['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME'], redis: checkRedis('REDIS_SENTINELS', { sentinels: addresses, name }) }
}

/**
 * Applies the environment overrides to a parsed config object; returns the names of those applied. A Redis given
 * by the environment (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS) replaces the file's, whichever form it had.
 */
export const applyEnvOverrides = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] => {
  const applied: string[] = []
  const redis = redisFromEnv(env)
  if (redis && env.REDIS_URL?.trim()) throw new ConfigError(`REDIS_URL and ${redis.names[0]} are both set: keep one`)
  for (const [name, field, parse] of OVERRIDES) {
    const value = env[name]?.trim()
    if (!value) continue
    raw[field] = parse(name, value)
    applied.push(name)
  }
  if (applied.includes('REDIS_URL')) delete raw.redis
  if (redis) {
    delete raw.redisUrl
    raw.redis = redis.redis
    applied.push(...redis.names)
  }
  return applied
}

/**
 * Loads, overrides and validates the config.
 * @throws ConfigError with a message naming the field, the file or the variable at fault.
 * @example
 * const { config } = await loadConfig({ argv: process.argv.slice(2) })
 */
export const loadConfig = async (options: LoadConfigOptions = {}): Promise<LoadedConfig> => {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const chosen = configPath(options.argv ?? [], env)
  const file = chosen ? (isAbsolute(chosen.path) ? chosen.path : resolve(cwd, chosen.path)) : undefined
  const parsed = file ? await readConfigFile(file, chosen!.from) : defaultConfig()
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must contain an object such as { "routes": [...] }`)
  }
  const raw = { ...(parsed as Record<string, unknown>) }
  const envApplied = applyEnvOverrides(raw, env)
  if (options.flags?.port !== undefined) raw.port = checkPort('--port', options.flags.port)
  if (options.flags?.host !== undefined) raw.host = options.flags.host
  if (options.flags?.workers !== undefined) raw.workers = checkWorkers('--workers', options.flags.workers)
  const config = validateConfig(raw, { port: DEFAULT_PORT, host: DEFAULT_HOST })
  if (config.keys?.file) config.keys.file = resolve(file ? dirname(file) : cwd, config.keys.file)
  if (config.upstreamPresetsFile) config.upstreamPresetsFile = resolve(file ? dirname(file) : cwd, config.upstreamPresetsFile)
  if (config.redis?.tls) config.redis.tls = resolveTLSFiles(config.redis.tls, file ? dirname(file) : cwd)
  return { config, source: { file, env: envApplied } }
}
