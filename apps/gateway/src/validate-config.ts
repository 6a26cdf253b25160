// Validation of the gateway's config file against config-schema.ts: every error names the field and its form.
import { ConfigError, parseOptions } from '@tollgate/core'
import type { z } from 'zod'
import {
  adminTokenSchema,
  configFileSchema,
  logLevelSchema,
  portSchema,
  workersSchema,
  type KeysConfig,
  type LogLevelName,
  type TollgateConfig,
} from './config-schema.js'

export * from './config-schema.js'

/** JSON has no comments: keys starting with "//" are notes, dropped (at any depth) before anything else sees the config. */
export const withoutNotes = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutNotes)
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([name]) => !name.startsWith('//'))
      .map(([name, field]) => [name, withoutNotes(field)]),
  )
}

const checkWith =
  <S extends z.ZodType>(schema: S) =>
  (field: string, value: unknown): z.output<S> =>
    parseOptions(schema, value, field)

export const checkPort = checkWith(portSchema)
export const checkAdminToken = checkWith(adminTokenSchema)
export const checkLogLevel = (field: string, value: unknown): LogLevelName => checkWith(logLevelSchema)(field, value)
export const checkRedisUrl = checkWith(configFileSchema.shape.redisUrl)
export const checkRedis = checkWith(configFileSchema.shape.redis)
export const checkTrustProxy = checkWith(configFileSchema.shape.trustProxy)
export const checkDrainDelay = checkWith(configFileSchema.shape.drainDelayMs)
export const checkWorkers = checkWith(workersSchema)

/**
 * Several workers share nothing in memory: each would keep its own rate limits, keys, cache and upstream budgets
 * (a limit of 100 admitting 100 per worker), so more than one needs Redis for all of them. Keeping that state in
 * the cluster primary over IPC was measured and not chosen (bench/ipc-store-cost.ts, README "Workers").
 */
const checkWorkersShareState = (workers: number | 'auto' | undefined, redis: boolean, keys: KeysConfig): void => {
  if (workers === undefined || workers === 1) return
  const shown = JSON.stringify(workers)
  if (!redis) {
    throw new ConfigError(
      `workers is ${shown} but no Redis is configured: each worker process would keep its own rate limits, API keys, cache and upstream budgets (a limit of 100 would admit 100 per worker); set redisUrl or redis (or REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS) so they are shared, or workers: 1`,
      { path: 'workers' },
    )
  }
  if (keys.store !== 'redis') {
    throw new ConfigError(
      `keys.store is "${keys.store}" with workers ${shown}: each worker would see only the keys it issued or loaded; use keys.store "redis" (the default with redisUrl), or workers: 1`,
      { path: 'keys.store' },
    )
  }
}

/** Two routes with the same prefix (after trailing slashes): the second would silently replace the first. */
const checkDuplicatePrefixes = (routes: readonly { prefix: string }[]): void => {
  const seen = new Map<string, number>()
  routes.forEach(({ prefix }, i) => {
    const key = prefix.replace(/\/+$/, '') || '/'
    const first = seen.get(key)
    if (first !== undefined) {
      throw new ConfigError(`routes[${i}].prefix "${prefix}" duplicates routes[${first}].prefix; each prefix may appear once`, {
        path: `routes[${i}].prefix`,
      })
    }
    seen.set(key, i)
  })
}

/**
 * Checks a parsed config (from a file, with env overrides applied) and fills the defaults.
 * @throws ConfigError naming the invalid fields, e.g. `routes[2].rateLimit.algorithm must be one of …`
 */
export const validateConfig = (value: unknown, defaults: { port: number; host: string }): TollgateConfig => {
  const { $schema: _editorHint, ...parsed } = parseOptions(configFileSchema, withoutNotes(value), '')
  checkDuplicatePrefixes(parsed.routes)
  // Without a keys section: Redis when there is one, else a file, so keys survive a restart (never memory by surprise).
  const redis = parsed.redisUrl !== undefined || parsed.redis !== undefined
  const keys: KeysConfig = parsed.keys ?? { store: redis ? 'redis' : 'file' }
  if (keys.store === 'file' && keys.file === undefined) keys.file = 'data/keys.json'
  if (keys.store === 'redis' && !redis) {
    throw new ConfigError(
      'keys.store is "redis" but no Redis is configured; set redisUrl or redis (or REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS) or use "file" or "memory"',
      {
        path: 'keys.store',
      },
    )
  }
  checkWorkersShareState(parsed.workers, redis, keys)
  return { ...parsed, port: parsed.port ?? defaults.port, host: parsed.host ?? defaults.host, keys }
}
