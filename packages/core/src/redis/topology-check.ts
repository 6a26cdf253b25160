// Detects a Redis the stores cannot use as configured (a cluster node given as one URL, a read-only replica) and says so once.
import type { Logger } from '../options.js'
import { describeRedis, type RedisConnectionSpec } from './resolve.js'

/** The slice of a client the check uses (ioredis Redis and Cluster fit). */
export interface TopologyClient {
  readonly status: string
  info(section: string): Promise<string>
  on(event: 'ready' | 'error' | 'node error', listener: (error?: Error & { lastNodeError?: Error }) => void): unknown
}

const field = (info: string, name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim()

/** What is wrong with the server a single-node client reached, from its INFO; undefined when it is a usable master. */
export const singleNodeProblem = (info: string): string | undefined => {
  if (field(info, 'cluster_enabled') === '1')
    return 'is a Redis Cluster node but is configured as a single server: configure redis: { cluster: ["host:port", …] } (REDIS_CLUSTER_NODES)'
  if (field(info, 'role') === 'slave')
    return 'is a read-only replica: point the gateway at the master, or use Sentinel (redis: { sentinels, name })'
  return undefined
}

export interface TopologyCheck {
  /** The problem found, if any (for /_health). */
  readonly problem: string | undefined
}

/**
 * Checks the server on every (re)connection: INFO `cluster_enabled` and `role` for a single-node client, the "cluster
 * support disabled" refusal for a Cluster client. Each distinct problem is logged once, as one error line; a later
 * connection to a usable server clears it (logged once too).
 * @example
 * const check = watchRedisTopology(redis, spec, logger)
 * health.problem = check.problem
 */
export const watchRedisTopology = (client: TopologyClient, spec: RedisConnectionSpec, logger: Logger): TopologyCheck => {
  const state: { problem: string | undefined; logged: Set<string> } = { problem: undefined, logged: new Set() }
  const name = describeRedis(spec)
  const report = (problem: string | undefined) => {
    if (problem === state.problem) return
    if (problem && !state.logged.has(problem)) {
      state.logged.add(problem)
      logger.error(
        `${name} ${problem}. Until then rate limits fall back to local memory, API keys and the cache are unavailable; /_health says degraded`,
      )
    } else if (!problem && state.problem) logger.info(`${name} is usable now (was: ${state.problem.split(':')[0]})`)
    state.problem = problem
  }
  const cluster = spec.kind === 'cluster' || (spec.kind === 'instance' && spec.client.isCluster === true)
  if (cluster) {
    const onError = (error?: Error & { lastNodeError?: Error }) => {
      if (/cluster support disabled/i.test(`${error?.message} ${error?.lastNodeError?.message}`))
        report('is not a Redis Cluster (cluster support disabled) but is configured as one: configure redis: { url } (REDIS_URL)')
    }
    client.on('error', onError)
    client.on('node error', onError)
    client.on('ready', () => report(undefined))
  } else {
    const probe = () =>
      void client.info('default').then(
        (info) => report(singleNodeProblem(info)),
        () => {}, // not answering is an outage, which the guard reports
      )
    client.on('ready', probe)
    if (client.status === 'ready') probe()
  }
  return {
    get problem() {
      return state.problem
    },
  }
}
