// Assembles a running gateway from a validated config: demo upstream → APIGateway → routes → start.
import {
  APIGateway,
  ConfigError,
  FileKeyStore,
  loadPresetOverrides,
  MemoryKeyStore,
  type APIKeyStore,
  type GatewayOptions,
  type Logger,
  type RouteOptions,
  type StopOptions,
  type StopResult,
  type UpstreamSpec,
} from '@tollgate/core'
import { consola } from 'consola'
import { accessLogOption, type AccessLogSink } from './access-log.js'
import { startDemoUpstream, type DemoUpstream } from './demo-upstream.js'
import { DEMO_UPSTREAM, type TollgateConfig } from './validate-config.js'

export interface RunningGateway {
  readonly gateway: APIGateway
  /** Base URL reachable from this machine (loopback when bound to 0.0.0.0). */
  readonly url: string
  readonly port: number
  readonly host: string
  /** The admin listener's base URL, when `adminPort` is set. */
  readonly adminUrl: string | undefined
  readonly demoUpstream: DemoUpstream | undefined
  /** Drains and stops the gateway, then the demo upstream; resolves with the requests cut. Safe to call twice. */
  stop(options?: StopOptions): Promise<StopResult>
}

export interface StartGatewayOptions {
  /** Default: consola tagged "tollgate". */
  logger?: Logger
  /** Where access-log lines go. Default stdout (JSON, or pretty on a terminal). */
  accessLogSink?: AccessLogSink
}

/** Config fields that belong to this app; every other field is an APIGateway option (config-schema.ts). */
const APP_FIELDS = new Set(['port', 'host', 'workers', 'keys', 'routes', 'demoUpstream', 'logLevel', 'upstreamPresetsFile'])

/** The app's drain delay on SIGTERM (the core's is 0): time for a load balancer to see /_health/ready fail. */
export const DEFAULT_DRAIN_DELAY_MS = 5_000

/** The APIGateway constructor options for a config. */
export const toGatewayOptions = (config: TollgateConfig, logger: Logger): GatewayOptions => ({
  drainDelayMs: DEFAULT_DRAIN_DELAY_MS,
  ...(Object.fromEntries(Object.entries(config).filter(([name, value]) => !APP_FIELDS.has(name) && value !== undefined)) as GatewayOptions),
  logger,
})

/** The key store a config asks for; undefined lets the core use Redis (it does when redisUrl is set). */
export const openKeyStore = async (config: TollgateConfig): Promise<APIKeyStore | undefined> => {
  const keys = config.keys
  if (!keys || keys.store === 'redis') return undefined
  if (keys.store === 'memory') return new MemoryKeyStore()
  try {
    return await FileKeyStore.open({ path: keys.file ?? 'data/keys.json' })
  } catch (error) {
    throw new ConfigError(`keys.file: cannot open ${keys.file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}

const loadPresets = async (path: string) => {
  try {
    return await loadPresetOverrides(path)
  } catch (error) {
    throw new ConfigError(`upstreamPresetsFile (${path}): ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

/** The core names a route's fields `options.…`, `upstream…` or `prefix`; the config file names them `routes[2].…`. */
const routeError = (error: unknown, index: number, prefix: string): ConfigError => {
  const field = `routes[${index}]`
  const message = error instanceof Error ? error.message : String(error)
  const path = error instanceof ConfigError ? error.path : ''
  const named = (text: string) =>
    text.replace(/(^|[\s;(])options\./g, `$1${field}.`).replace(/(^|[\s;(])(upstream(?=[.[\s])|prefix(?=\s))/g, `$1${field}.$2`)
  if (/^(options\.|upstream|prefix)/.test(message)) return new ConfigError(named(message), { path: named(path), cause: error })
  return new ConfigError(`${field} (${prefix}): ${message}`, { path: field, cause: error })
}

/** Registers every route of the config; `demo` routes go to `demoUrl`. @throws ConfigError naming the route field. */
export const registerRoutes = (gateway: APIGateway, config: TollgateConfig, demoUrl: string | undefined): void => {
  config.routes.forEach(({ prefix, upstream, ...routeOptions }, i) => {
    const target = upstream === DEMO_UPSTREAM ? demoUrl : upstream
    try {
      gateway.registerRoute(prefix, target as UpstreamSpec, routeOptions as RouteOptions)
    } catch (error) {
      throw routeError(error, i, prefix)
    }
  })
}

/**
 * Builds the gateway a config describes without listening or contacting Redis, so every route option is checked
 * by the same code that would run it; resolves to the registered routes. Used by `tollgate check`.
 */
export const checkGateway = async (config: TollgateConfig, logger: Logger): Promise<APIGateway> => {
  const upstreamPresets = config.upstreamPresetsFile ? await loadPresets(config.upstreamPresetsFile) : undefined
  const { redisUrl: _notContacted, redis: _notContactedEither, ...offline } = config
  const gateway = new APIGateway({
    ...toGatewayOptions(offline as TollgateConfig, logger),
    accessLog: false,
    apiKeys: { store: new MemoryKeyStore() },
    ...(upstreamPresets ? { upstreamPresets } : {}),
  })
  registerRoutes(gateway, config, CHECK_DEMO_URL)
  return gateway
}

/** Where `tollgate check` points demo routes: the demo upstream is not started for a check. */
export const CHECK_DEMO_URL = 'http://127.0.0.1:9'

const needsDemo = (config: TollgateConfig): boolean =>
  config.demoUpstream !== undefined || config.routes.some((route) => route.upstream === DEMO_UPSTREAM)

/**
 * Starts everything a config describes and resolves once the gateway listens.
 * @throws ConfigError naming the route field the core rejected, or an Error when a port is taken.
 * @example
 * const { config } = await loadConfig()
 * const running = await startGateway(config)
 * process.once('SIGTERM', () => running.stop())
 */
export const startGateway = async (config: TollgateConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> => {
  const logger = options.logger ?? consola.withTag('tollgate')
  let demo: DemoUpstream | undefined
  let gateway: APIGateway | undefined
  try {
    if (needsDemo(config)) {
      demo = await startDemoUpstream(config.demoUpstream).catch((error: Error) => {
        throw new Error(`demoUpstream: cannot listen on 127.0.0.1:${config.demoUpstream?.port ?? 0}: ${error.message}`, { cause: error })
      })
    }
    const keyStore = await openKeyStore(config)
    const upstreamPresets = config.upstreamPresetsFile ? await loadPresets(config.upstreamPresetsFile) : undefined
    gateway = new APIGateway({
      ...toGatewayOptions(config, logger),
      accessLog: accessLogOption(config.accessLog, options.accessLogSink),
      ...(keyStore ? { apiKeys: { store: keyStore } } : {}),
      ...(upstreamPresets ? { upstreamPresets } : {}),
    })
    registerRoutes(gateway, config, demo?.url)
    const { url, port, host, adminUrl } = await gateway.start({ port: config.port, host: config.host })
    let stopping: Promise<StopResult> | undefined
    const started = gateway
    const stop = (stopOptions?: StopOptions) =>
      (stopping ??= (async () => {
        try {
          return await started.stop(stopOptions)
        } finally {
          await demo?.close()
        }
      })())
    return { gateway, url, port, host, adminUrl, demoUpstream: demo, stop }
  } catch (error) {
    await gateway?.stop().catch(() => {})
    await demo?.close()
    throw error
  }
}
