// The `redis` gateway option: one Redis (URL), a Redis Cluster, a Sentinel group, or a ready ioredis client.
import { isStoreConnection } from '../limiter/store/connection.js'
import { boolean, instance, integer, text, z } from '../schema/kit.js'

const URL_FORM = 'a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"'
const NODE_FORM = 'a cluster node as "host:port" or a redis:// or rediss:// URL'
const CLUSTER_FORM = 'a non-empty list of cluster nodes ("host:port" or redis:// URLs)'
const PEM_OR_FILE = 'PEM text ("-----BEGIN …") or the path of a PEM file'

/** A redis:// or rediss:// URL. */
export const redisUrlSchema = () => z.string({ error: () => URL_FORM }).regex(/^rediss?:\/\/[^\s]+$/, { error: () => URL_FORM })

const pemOrFile = () => text(PEM_OR_FILE)

/** TLS for rediss:// (or any form): each of ca, cert and key is PEM text or a file path, read once at construction. */
export const redisTLSSchema = z
  .strictObject({
    /** Certificate authorities trusted for the server's certificate, instead of Node's bundled ones. */
    ca: z.union([pemOrFile(), z.array(pemOrFile()).min(1, { error: () => `a non-empty list of ${PEM_OR_FILE}` })]).optional(),
    /** Client certificate for mutual TLS; needs `key`. */
    cert: pemOrFile().optional(),
    /** Private key of `cert`. */
    key: pemOrFile().optional(),
    /** Passphrase of an encrypted `key`. */
    passphrase: z.string({ error: () => 'a string' }).optional(),
    /** Host name sent in SNI and checked against the certificate. Default: the host connected to. */
    servername: text('a host name').optional(),
    /** Refuse a server certificate that does not verify. Default true. */
    rejectUnauthorized: boolean().optional(),
  })
  .superRefine((tls, ctx) => {
    if (tls.cert !== undefined && tls.key === undefined)
      ctx.addIssue({ code: 'custom', path: ['key'], message: '!is required with tls.cert' })
    if (tls.key !== undefined && tls.cert === undefined)
      ctx.addIssue({ code: 'custom', path: ['cert'], message: '!is required with tls.key' })
  })

/** ioredis options passed through as they are (RedisOptions, or ClusterOptions for a cluster). */
const passThrough = () => z.record(z.string(), z.unknown(), { error: () => 'an object of ioredis options' })

const clusterNode = () => z.string({ error: () => NODE_FORM }).regex(/^(rediss?:\/\/[^\s]+|[^\s:/]+:\d{1,5})$/, { error: () => NODE_FORM })

/** One Redis server. */
export const redisURLConfigSchema = z.strictObject({
  url: redisUrlSchema(),
  tls: redisTLSSchema.optional(),
  /** ioredis RedisOptions (over the gateway's fail-fast defaults). */
  options: passThrough().optional(),
})

/** A Redis Cluster: some of its nodes (the client discovers the rest). */
export const redisClusterConfigSchema = z.strictObject({
  cluster: z.array(clusterNode(), { error: () => CLUSTER_FORM }).min(1, { error: () => CLUSTER_FORM }),
  tls: redisTLSSchema.optional(),
  /** ioredis ClusterOptions (over the gateway's fail-fast defaults); `redisOptions` apply to every node. */
  options: passThrough().optional(),
})

/** A master found through Redis Sentinel. */
export const redisSentinelConfigSchema = z.strictObject({
  sentinels: z
    .array(z.strictObject({ host: text('a host name or IP'), port: integer(1, 65_535) }), { error: () => 'a list of { host, port }' })
    .min(1, { error: () => 'a non-empty list of { host, port }' }),
  /** The master group's name, as in the sentinels' `sentinel monitor <name> …`. */
  name: text('the master name the sentinels monitor, such as "mymaster"'),
  tls: redisTLSSchema.optional(),
  /** ioredis RedisOptions (sentinelPassword, password, role…) over the gateway's fail-fast defaults. */
  options: passThrough().optional(),
})

/** The forms a config file can hold. */
export const redisConfigSchema = z.union([redisURLConfigSchema, redisClusterConfigSchema, redisSentinelConfigSchema], {
  error: () => 'one of { url }, { cluster: [nodes] } or { sentinels: [{ host, port }], name }',
})

export type RedisURLConfig = z.input<typeof redisURLConfigSchema>
export type RedisClusterConfig = z.input<typeof redisClusterConfigSchema>
export type RedisSentinelConfig = z.input<typeof redisSentinelConfigSchema>
export type RedisTLSConfig = z.input<typeof redisTLSSchema>
export type RedisConfig = z.input<typeof redisConfigSchema>

/** The slice of an ioredis Redis or Cluster instance the gateway needs to accept it. */
export interface RedisInstance {
  readonly status: string
  readonly isCluster?: boolean
  evalsha(...args: never[]): unknown
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

export const isRedisInstance = (value: unknown): value is RedisInstance =>
  isStoreConnection(value) && typeof (value as unknown as RedisInstance).evalsha === 'function'

/** The `redis` gateway option: a config form, or a ready ioredis `Redis`/`Cluster` (the caller keeps owning it). */
export const redisOptionSchema = z.union(
  [
    instance<RedisInstance>('an ioredis Redis or Cluster instance', isRedisInstance),
    redisURLConfigSchema,
    redisClusterConfigSchema,
    redisSentinelConfigSchema,
  ],
  {
    error: () =>
      '{ url }, { cluster: [nodes] }, { sentinels: [{ host, port }], name } or an ioredis Redis/Cluster instance (a URL alone goes in redisUrl)',
  },
)

export type RedisOption = z.input<typeof redisOptionSchema>
