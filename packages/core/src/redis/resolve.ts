// Turns `redisUrl` / `redis` into one connection spec (TLS files read once, here), without loading ioredis.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import { isRedisInstance, type RedisConfig, type RedisInstance, type RedisOption, type RedisTLSConfig } from './schema.js'

/** Node's tls.connect options built from `tls`: ca, cert and key as PEM text. */
export interface RedisTLS {
  ca?: string[]
  cert?: string
  key?: string
  passphrase?: string
  servername?: string
  rejectUnauthorized?: boolean
}

export interface ClusterNodeAddress {
  host: string
  port: number
}

export type RedisConnectionSpec =
  | { kind: 'url'; url: string; tls?: RedisTLS; options?: Record<string, unknown> }
  | {
      kind: 'cluster'
      nodes: ClusterNodeAddress[]
      auth: { username?: string; password?: string }
      tls?: RedisTLS
      options?: Record<string, unknown>
    }
  | { kind: 'sentinel'; sentinels: ClusterNodeAddress[]; name: string; tls?: RedisTLS; options?: Record<string, unknown> }
  | { kind: 'instance'; client: RedisInstance }

const readPEM = (value: string, path: string): string => {
  if (value.includes('-----BEGIN')) return value
  try {
    return readFileSync(value, 'utf8')
  } catch (error) {
    throw new ConfigError(
      `${path} cannot be read: ${value} (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected PEM text or the path of a PEM file`,
      {
        path,
        cause: error,
      },
    )
  }
}

const resolveTLS = (tls: RedisTLSConfig | undefined, base: string): RedisTLS | undefined => {
  if (!tls) return undefined
  const out: RedisTLS = {}
  if (tls.ca !== undefined)
    out.ca = (Array.isArray(tls.ca) ? tls.ca : [tls.ca]).map((ca, i) =>
      readPEM(ca, Array.isArray(tls.ca) ? `${base}.ca[${i}]` : `${base}.ca`),
    )
  if (tls.cert !== undefined) out.cert = readPEM(tls.cert, `${base}.cert`)
  if (tls.key !== undefined) out.key = readPEM(tls.key, `${base}.key`)
  if (tls.passphrase !== undefined) out.passphrase = tls.passphrase
  if (tls.servername !== undefined) out.servername = tls.servername
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized
  return out
}

/** `host:port` or a redis(s):// URL → its address; credentials and rediss:// apply to every node. */
const parseNode = (node: string): { address: ClusterNodeAddress; username?: string; password?: string; tls: boolean } => {
  if (!/^rediss?:\/\//.test(node)) {
    const at = node.lastIndexOf(':')
    return { address: { host: node.slice(0, at), port: Number(node.slice(at + 1)) }, tls: false }
  }
  const url = new URL(node)
  const parsed: ReturnType<typeof parseNode> = {
    address: { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 6379 },
    tls: url.protocol === 'rediss:',
  }
  if (url.username) parsed.username = decodeURIComponent(url.username)
  if (url.password) parsed.password = decodeURIComponent(url.password)
  return parsed
}

const withTLS = <T extends object>(spec: T, tls: RedisTLS | undefined): T => (tls ? { ...spec, tls } : spec)
const withOptions = <T extends object>(spec: T, options: Record<string, unknown> | undefined): T => (options ? { ...spec, options } : spec)

/**
 * The connection the options ask for, or undefined without Redis.
 * @throws ConfigError when both `redisUrl` and `redis` are set, or a TLS file cannot be read.
 * @example
 * const spec = resolveRedisOption({ redis: { cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] } })
 */
export const resolveRedisOption = (options: {
  redisUrl?: string | undefined
  redis?: RedisOption | undefined
}): RedisConnectionSpec | undefined => {
  const { redisUrl, redis } = options
  if (redisUrl !== undefined && redis !== undefined)
    throw new ConfigError('options.redis and options.redisUrl are both set: keep one (redis: { url } is the same as redisUrl)', {
      path: 'options.redis',
    })
  if (redisUrl !== undefined) return { kind: 'url', url: redisUrl }
  if (redis === undefined) return undefined
  // Checked first: an ioredis client has a cluster() method, so `'cluster' in redis` would not tell them apart.
  if (isRedisInstance(redis)) return { kind: 'instance', client: redis }
  const config = redis as RedisConfig
  const tls = resolveTLS(config.tls, 'options.redis.tls')
  if ('url' in config) return withOptions(withTLS({ kind: 'url' as const, url: config.url }, tls), config.options)
  if ('cluster' in config) {
    const nodes = config.cluster.map(parseNode)
    const auth: { username?: string; password?: string } = {}
    const first = nodes.find((node) => node.password !== undefined || node.username !== undefined)
    if (first?.username !== undefined) auth.username = first.username
    if (first?.password !== undefined) auth.password = first.password
    const nodeTLS = tls ?? (nodes.some((node) => node.tls) ? {} : undefined)
    return withOptions(withTLS({ kind: 'cluster' as const, nodes: nodes.map((node) => node.address), auth }, nodeTLS), config.options)
  }
  return withOptions(withTLS({ kind: 'sentinel' as const, sentinels: config.sentinels, name: config.name }, tls), config.options)
}

/** The spec as a log line names it, credentials left out. */
export const describeRedis = (spec: RedisConnectionSpec): string => {
  switch (spec.kind) {
    case 'url':
      return `redis ${spec.url.replace(/\/\/[^@/]*@/, '//***@')}`
    case 'cluster':
      return `redis cluster (${spec.nodes.map((node) => `${node.host}:${node.port}`).join(', ')})`
    case 'sentinel':
      return `redis master "${spec.name}" (sentinels ${spec.sentinels.map((node) => `${node.host}:${node.port}`).join(', ')})`
    default:
      return spec.client.isCluster ? 'redis cluster (given client)' : 'redis (given client)'
  }
}
