// Bench contender: Tollgate through its public API, with routing and metrics on; TOLLGATE_SCENARIO picks what else.
import { APIGateway, jsonAccessLogger, type Logger } from '@tollgate/core'
import { announce, listenHost, upstreamUrlFromEnv } from '../lib/target-runtime.js'
import { BENCH_PREFIX, DECOY_PREFIXES, DECOY_UPSTREAM } from './shared.js'

const silent = (): void => undefined
const toStderr = (...args: unknown[]): void => console.error(...args)

/** Drops info/debug (nothing may log per request under load) and keeps warnings and errors on stderr. */
const quietLogger: Logger = {
  info: Object.assign(silent, { raw: silent }),
  debug: Object.assign(silent, { raw: silent }),
  warn: Object.assign(toStderr, { raw: toStderr }),
  error: Object.assign(toStderr, { raw: toStderr }),
}

/**
 * What a scenario gets: the gateway, already holding the decoy routes, and the upstream URL(s).
 * A scenario registers the benched route at BENCH_PREFIX and whatever that route needs.
 */
interface ScenarioContext {
  gateway: APIGateway
  /** UPSTREAM_URL split on commas (pool scenarios take several). */
  upstreams: [string, ...string[]]
}

/** Never rejects (nothing reaches 1e9 requests a second): the limiter does all its work and always admits. */
const NEVER_REJECTS = { requestsPerSecond: 1e9 }

/**
 * The switch the suites use (TOLLGATE_SCENARIO). To add one: a new key here, and a suite that starts this
 * target with `env: { TOLLGATE_SCENARIO: '<key>' }` and sends the requests the scenario expects
 * (`Contender.request` for headers such as an API key; `notServedBy` where the gateway answers itself).
 * What a scenario resolves to reaches the suite as `RunningTarget.details` (e.g. the API key to send).
 */
const scenarios = {
  /** Routing + metrics (the defaults): one route to one upstream. */
  plain: ({ gateway, upstreams }: ScenarioContext) => {
    gateway.registerRoute(BENCH_PREFIX, upstreams[0])
  },
  /** `plain` + a per-caller route rate limit on the memory store (sliding window, the default algorithm). */
  'ratelimit-memory': ({ gateway, upstreams }: ScenarioContext) => {
    gateway.registerRoute(BENCH_PREFIX, upstreams[0], { rateLimit: NEVER_REJECTS })
  },
  /** `plain` + requireAuth, memory key store; details `{ apiKey }`: the suite sends it as X-API-Key. */
  auth: async ({ gateway, upstreams }: ScenarioContext) => {
    gateway.registerRoute(BENCH_PREFIX, upstreams[0], { requireAuth: true })
    return { apiKey: await gateway.apiKeyManager.createApiKey('bench') }
  },
  /** `plain` + requireAuth + a per-caller route rate limit, all on memory stores (the full stack); details `{ apiKey }`. */
  'key-memory': async ({ gateway, upstreams }: ScenarioContext) => {
    gateway.registerRoute(BENCH_PREFIX, upstreams[0], { requireAuth: true, rateLimit: NEVER_REJECTS })
    return { apiKey: await gateway.apiKeyManager.createApiKey('bench') }
  },
  /** `key-memory` with keys and limits in Redis (REDIS_URL, the gateway started with `redisUrl`); details `{ apiKey }`. */
  'key-redis': async ({ gateway, upstreams }: ScenarioContext) => {
    gateway.registerRoute(BENCH_PREFIX, upstreams[0], { requireAuth: true, rateLimit: NEVER_REJECTS })
    await gateway.ready()
    return { apiKey: await gateway.apiKeyManager.createApiKey('bench') }
  },
  /** `plain` + a 60 s response cache (memory): after the first request every response is a HIT from the gateway. */
  cache: ({ gateway, upstreams }: ScenarioContext) => {
    gateway.registerRoute(BENCH_PREFIX, upstreams[0], { cacheTtl: 60 })
  },
  /** `plain` over a round-robin pool of the first two upstreams (UPSTREAM_URL=a,b). */
  pool2: ({ gateway, upstreams }: ScenarioContext) => {
    const [first, second] = upstreams
    if (second === undefined) throw new Error('TOLLGATE_SCENARIO=pool2 needs two upstreams: UPSTREAM_URL=<a>,<b>')
    gateway.registerRoute(BENCH_PREFIX, { targets: [first, second], balance: 'round-robin' })
  },
} satisfies Record<string, (context: ScenarioContext) => void | Promise<Record<string, string>>>

type ScenarioName = keyof typeof scenarios

const scenarioName = process.env.TOLLGATE_SCENARIO ?? 'plain'
if (!Object.hasOwn(scenarios, scenarioName)) {
  console.error(`TOLLGATE_SCENARIO=${scenarioName} is not implemented; known: ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}

const [first, ...rest] = upstreamUrlFromEnv().split(',')
// TOLLGATE_ACCESS_LOG=<file> turns the access log on (JSON lines to that file, as apps/gateway writes them); TOLLGATE_TRACING=off sends no traceparent.
const accessLogFile = process.env.TOLLGATE_ACCESS_LOG
const redisUrl = process.env.REDIS_URL
const gateway = new APIGateway({
  logger: quietLogger,
  ...(redisUrl ? { redisUrl } : {}),
  ...(accessLogFile ? { accessLog: { logger: jsonAccessLogger(accessLogFile) } } : {}),
  ...(process.env.TOLLGATE_TRACING === 'off' ? { tracing: false as const } : {}),
})
for (const prefix of DECOY_PREFIXES) gateway.registerRoute(prefix, DECOY_UPSTREAM)
const details = await scenarios[scenarioName as ScenarioName]({ gateway, upstreams: [first!, ...rest] })

const { port } = await gateway.start({ port: 0, host: listenHost })
announce(port, { close: () => gateway.stop(), ...(details === undefined ? {} : { details }) })
