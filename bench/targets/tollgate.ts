// Bench contender: Tollgate through its public API, with routing and metrics on; TOLLGATE_SCENARIO picks what else.
import { APIGateway, type Logger } from '@tollgate/core'
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

/**
 * The switch the suites use (TOLLGATE_SCENARIO). To add one: a new key here, and a suite that starts this
 * target with `env: { TOLLGATE_SCENARIO: '<key>' }` and sends the requests the scenario expects
 * (`Contender.request` for headers such as an API key; leave `servedBy` unset where the gateway answers itself).
 */
const scenarios = {
  /** Routing + metrics (the defaults): one route to one upstream. */
  plain: ({ gateway, upstreams }: ScenarioContext) => {
    gateway.registerRoute(BENCH_PREFIX, upstreams[0])
  },
  // 'ratelimit-memory': ({ gateway, upstreams }) => { gateway.registerRoute(BENCH_PREFIX, upstreams[0], { rateLimit: … }) },
  // 'auth':             ({ gateway, upstreams }) => { … requireAuth: true …; the suite sends the key in a header },
  // 'cache':            ({ gateway, upstreams }) => { … cacheTtl: 60 …; the suite leaves servedBy unset },
  // 'pool2':            ({ gateway, upstreams }) => { … two upstreams from UPSTREAM_URL=a,b … },
} satisfies Record<string, (context: ScenarioContext) => void>

type ScenarioName = keyof typeof scenarios

const scenarioName = process.env.TOLLGATE_SCENARIO ?? 'plain'
if (!Object.hasOwn(scenarios, scenarioName)) {
  console.error(`TOLLGATE_SCENARIO=${scenarioName} is not implemented; known: ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}

const [first, ...rest] = upstreamUrlFromEnv().split(',')
const gateway = new APIGateway({ logger: quietLogger })
for (const prefix of DECOY_PREFIXES) gateway.registerRoute(prefix, DECOY_UPSTREAM)
scenarios[scenarioName as ScenarioName]({ gateway, upstreams: [first!, ...rest] })

const { port } = await gateway.start({ port: 0, host: listenHost })
announce(port, { close: () => gateway.stop() })
