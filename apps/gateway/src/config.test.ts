import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConfigError } from '@tollgate/core'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig, validateConfig } from './config.js'
import { DEFAULT_DRAIN_DELAY_MS, toGatewayOptions } from './start-gateway.js'

const defaults = { port: 8080, host: '0.0.0.0' }
const route = { prefix: '/api', upstream: 'http://127.0.0.1:8001' }
const appDir = resolve(import.meta.dirname, '..')

let dir: string | undefined
const writeConfig = (name: string, content: unknown): string => {
  dir ??= mkdtempSync(join(tmpdir(), 'tollgate-config-'))
  const file = join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const withRoute = (extra: Record<string, unknown>) => ({ routes: [{ ...route, ...extra }] })

describe('validateConfig', () => {
  // [case, config, the field's path, the message (it names the expected form)]
  it.each([
    ['routes missing', {}, 'routes', 'routes is required: a list of { prefix, upstream, ...options }'],
    ['routes not a list', { routes: {} }, 'routes', 'routes must be a list of { prefix, upstream, ...options }, got {}'],
    ['a top-level typo', { rotues: [], routes: [] }, 'rotues', 'rotues is not a known option (did you mean routes?)'],
    [
      'an unknown top-level field',
      { futureOption: 1, routes: [] },
      'futureOption',
      'futureOption is not a known option (known: $schema, port',
    ],
    [
      'a route field typo',
      withRoute({ ratelimit: { requestsPerMinute: 5 } }),
      'routes[0].ratelimit',
      'routes[0].ratelimit is not a known option (did you mean rateLimit?)',
    ],
    ['requireAuth misspelled', withRoute({ requireAuht: true }), 'routes[0].requireAuht', 'did you mean requireAuth?'],
    [
      'requireAuth as a string',
      withRoute({ requireAuth: 'true' }),
      'routes[0].requireAuth',
      'routes[0].requireAuth must be true or false, got "true"',
    ],
    [
      'a bad upstream',
      withRoute({ upstream: 42 }),
      'routes[0].upstream',
      'routes[0].upstream must be a URL string, a list of URLs, or { targets: [...] } (or "demo"',
    ],
    ['a missing upstream', { routes: [{ prefix: '/api' }] }, 'routes[0].upstream', 'routes[0].upstream is required'],
    [
      'an ftp upstream',
      withRoute({ upstream: 'ftp://x' }),
      'routes[0].upstream',
      'routes[0].upstream must use http: or https:, got "ftp:"',
    ],
    [
      'a bad target in a pool',
      withRoute({ upstream: { targets: ['http://a.test', 'nope'] } }),
      'routes[0].upstream.targets[1]',
      'must be an absolute http(s) URL',
    ],
    [
      'a zero weight',
      withRoute({ upstream: { targets: [{ url: 'http://a.test', weight: 0 }] } }),
      'routes[0].upstream.targets[0].weight',
      'must be an integer from 1 to 1000, got 0',
    ],
    [
      'an unknown balance',
      withRoute({ upstream: { targets: ['http://a.test'], balance: 'fastest' } }),
      'routes[0].upstream.balance',
      "must be one of 'round-robin', 'least-connections', 'random', 'hash', got \"fastest\"",
    ],
    [
      'a health check typo',
      withRoute({ upstream: { targets: ['http://a.test'], healthCheck: { path: '/h', interval: 5 } } }),
      'routes[0].upstream.healthCheck.interval',
      'did you mean intervalMs?',
    ],
    [
      'a health path without /',
      withRoute({ upstream: { targets: ['http://a.test'], healthCheck: { path: 'health' } } }),
      'routes[0].upstream.healthCheck.path',
      'must be a path starting with "/"',
    ],
    ['a prefix without /', withRoute({ prefix: 'api' }), 'routes[0].prefix', 'routes[0].prefix must be a path starting with "/"'],
    [
      'a duplicate prefix',
      { routes: [route, { ...route, prefix: '/api/' }] },
      'routes[1].prefix',
      'routes[1].prefix "/api/" duplicates routes[0].prefix',
    ],
    [
      'methods as a string',
      withRoute({ methods: 'GET' }),
      'routes[0].methods',
      'routes[0].methods must be a non-empty list of HTTP methods',
    ],
    ['an unknown method', withRoute({ methods: ['GET', 'FETCH'] }), 'routes[0].methods[1]', "must be one of 'GET', 'HEAD'"],
    ['retry as a number', withRoute({ retry: 3 }), 'routes[0].retry', 'routes[0].retry must be an object, got 3'],
    ['zero attempts', withRoute({ retry: { attempts: 0 } }), 'routes[0].retry.attempts', 'must be an integer from 1 to 10, got 0'],
    [
      'timeoutMs as a string',
      withRoute({ timeoutMs: '5s' }),
      'routes[0].timeoutMs',
      'routes[0].timeoutMs must be a number from 1 to 3600000, got "5s"',
    ],
    ['a negative timeout', withRoute({ timeoutMs: -1 }), 'routes[0].timeoutMs', 'must be a number from 1 to 3600000, got -1'],
    [
      'a fractional breaker threshold',
      withRoute({ circuitBreaker: { failureThreshold: 1.5 } }),
      'routes[0].circuitBreaker.failureThreshold',
      'must be an integer from 1 to 10000',
    ],
    [
      'an unknown algorithm',
      withRoute({ rateLimit: { requestsPerMinute: 5, algorithm: 'leaky' } }),
      'routes[0].rateLimit.algorithm',
      "must be one of 'sliding_window', 'token_bucket', 'fixed_window', got \"leaky\"",
    ],
    [
      'a rate limit without a window',
      withRoute({ rateLimit: { cost: 1 } }),
      'routes[0].rateLimit',
      'routes[0].rateLimit needs at least one of requestsPerSecond',
    ],
    [
      'a zero rate',
      withRoute({ rateLimit: { requestsPerMinute: 0 } }),
      'routes[0].rateLimit.requestsPerMinute',
      'must be a positive integer, got 0',
    ],
    [
      'burstSize on a sliding window',
      withRoute({ rateLimit: { requestsPerMinute: 5, burstSize: 10 } }),
      'routes[0].rateLimit.burstSize',
      "applies to algorithm 'token_bucket' only",
    ],
    ['a negative cacheTtl', withRoute({ cacheTtl: -1 }), 'routes[0].cacheTtl', 'must be a positive number of seconds, got -1'],
    ['staleIfError without cacheTtl', withRoute({ staleIfError: 30 }), 'routes[0].staleIfError', 'needs cacheTtl'],
    [
      'an upstreamLimit typo',
      withRoute({ upstreamLimit: { maxConcurrent: 4 } }),
      'routes[0].upstreamLimit.maxConcurrent',
      'is not a known option',
    ],
    [
      'a bad callerHeader',
      withRoute({ upstreamLimit: { callerHeader: 'x tenant' } }),
      'routes[0].upstreamLimit.callerHeader',
      'must be a header name',
    ],
    ['a port out of range', { port: 70_000, routes: [] }, 'port', 'port must be an integer from 0 to 65535, got 70000'],
    [
      'an unknown key store',
      { keys: { store: 'disk' }, routes: [] },
      'keys.store',
      'keys.store must be one of "memory", "file", "redis", got "disk"',
    ],
    [
      'a redis key store without redis',
      { keys: { store: 'redis' }, routes: [] },
      'keys.store',
      'keys.store is "redis" but no Redis is configured',
    ],
    ['a non-redis URL', { redisUrl: 'http://127.0.0.1:6379', routes: [] }, 'redisUrl', 'redisUrl must be a redis:// or rediss:// URL'],
    ['a bad trustProxy', { trustProxy: 'yes', routes: [] }, 'trustProxy', 'trustProxy must be true, false, a number of trusted hops'],
    ['a bad log level', { logLevel: 'loud', routes: [] }, 'logLevel', 'logLevel must be one of silent, fatal, error, warn, info'],
    [
      'a bad failure rate',
      { demoUpstream: { failureRate: 2 }, routes: [] },
      'demoUpstream.failureRate',
      'demoUpstream.failureRate must be a number from 0 to 1, got 2',
    ],
    [
      'an unknown server limit',
      { server: { maxHeaders: 1 }, routes: [] },
      'server.maxHeaders',
      'server.maxHeaders is not a known option (did you mean maxHeaderBytes?)',
    ],
    [
      'an unknown store policy',
      { onStoreFailure: 'ignore', routes: [] },
      'onStoreFailure',
      "onStoreFailure must be one of 'fallback', 'allow', 'deny', got \"ignore\"",
    ],
    [
      'a negative store timeout',
      { storeTimeoutMs: -5, routes: [] },
      'storeTimeoutMs',
      'storeTimeoutMs must be a number from 1 to 60000, got -5',
    ],
  ])('refuses %s', (_case, config, path, message) => {
    let error: unknown
    try {
      validateConfig(config, defaults)
    } catch (thrown) {
      error = thrown
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).path).toBe(path)
    expect((error as Error).message).toContain(message)
  })

  it('never echoes a malformed admin token', () => {
    expect(() => validateConfig({ adminToken: 'hunter2', routes: [] }, defaults)).toThrow(
      /^adminToken must be a string of at least 16 characters/,
    )
    expect(() => validateConfig({ adminToken: 'hunter2', routes: [] }, defaults)).not.toThrow(/hunter2/)
  })

  it('fills defaults and drops // notes at any depth', () => {
    const config = validateConfig(
      { '//': 'note', routes: [{ ...route, '//': 'note', upstreamLimit: { '// why': 'x', maxQueueLength: 4 } }] },
      defaults,
    )
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', keys: { store: 'file', file: 'data/keys.json' } })
    expect(config.routes[0]).toEqual({ ...route, upstreamLimit: { maxQueueLength: 4 } })
    expect(config).not.toHaveProperty('//')
  })

  it('accepts the shipped example config', async () => {
    const { config } = await loadConfig({ argv: ['--config', join(appDir, 'tollgate.config.example.json')], env: {} })
    expect(config.routes.map((r) => r.prefix)).toEqual(['/api/users', '/api/hello', '/api/echo', '/api/orders'])
    expect(config.keys).toEqual({ store: 'file', file: join(appDir, 'data/keys.json') })
  })
})

describe('loadConfig', () => {
  it('uses the built-in default (demo upstream, keys in a file, no Redis) when no file is given', async () => {
    const { config, source } = await loadConfig({ env: {}, cwd: '/srv/app' })
    expect(source).toEqual({ file: undefined, env: [] })
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      keys: { store: 'file', file: '/srv/app/.tollgate/keys.json' },
      demoUpstream: {},
    })
    expect(config.redisUrl).toBeUndefined()
    expect(config.routes[0]).toMatchObject({ prefix: '/api', upstream: 'demo' })
  })

  it('lets the environment win over the file', async () => {
    const file = writeConfig('gw.json', {
      port: 9000,
      host: '127.0.0.1',
      redisUrl: 'redis://file-host:6379',
      trustProxy: false,
      logLevel: 'debug',
      routes: [route],
    })
    const env = {
      TOLLGATE_CONFIG: file,
      PORT: '9100',
      HOST: '::1',
      REDIS_URL: 'redis://env-host:6380',
      TOLLGATE_ADMIN_TOKEN: 'a'.repeat(32),
      TOLLGATE_TRUST_PROXY: '10.0.0.1, 10.0.0.2',
      LOG_LEVEL: 'WARN',
    }
    const { config, source } = await loadConfig({ env })
    expect(config).toMatchObject({
      port: 9100,
      host: '::1',
      redisUrl: 'redis://env-host:6380',
      adminToken: 'a'.repeat(32),
      trustProxy: ['10.0.0.1', '10.0.0.2'],
      logLevel: 'warn',
      keys: { store: 'redis' },
    })
    expect(source).toEqual({ file, env: ['PORT', 'HOST', 'REDIS_URL', 'TOLLGATE_ADMIN_TOKEN', 'TOLLGATE_TRUST_PROXY', 'LOG_LEVEL'] })
  })

  it('checks environment values under their own names', async () => {
    await expect(loadConfig({ env: { PORT: 'eighty' } })).rejects.toThrow('PORT must be an integer from 0 to 65535, got "eighty"')
    await expect(loadConfig({ env: { REDIS_URL: 'localhost' } })).rejects.toThrow('REDIS_URL must be a redis:// or rediss:// URL')
    await expect(loadConfig({ env: { TOLLGATE_TRUST_PROXY: '500' } })).rejects.toThrow(
      'TOLLGATE_TRUST_PROXY must be an integer from 0 to 100, got 500',
    )
    await expect(loadConfig({ env: { TOLLGATE_TRUST_PROXY: 'true' } })).resolves.toMatchObject({ config: { trustProxy: true } })
  })

  it("reads a Redis Cluster or Sentinel from the environment, replacing the file's Redis", async () => {
    const file = writeConfig('redis.json', { redisUrl: 'redis://file-host:6379', routes: [route] })
    const cluster = await loadConfig({ env: { TOLLGATE_CONFIG: file, REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis://10.0.0.2:7001' } })
    expect(cluster.config.redis).toEqual({ cluster: ['10.0.0.1:7000', 'redis://10.0.0.2:7001'] })
    expect(cluster.config.redisUrl).toBeUndefined()
    expect(cluster.config.keys).toEqual({ store: 'redis' })
    expect(cluster.source.env).toEqual(['REDIS_CLUSTER_NODES'])
    const sentinel = await loadConfig({ env: { REDIS_SENTINELS: 's1:26379,s2:26380', REDIS_SENTINEL_NAME: 'mymaster' } })
    expect(sentinel.config.redis).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'mymaster',
    })
    await expect(loadConfig({ env: { REDIS_SENTINELS: 's1:26379' } })).rejects.toThrow('REDIS_SENTINELS is set without REDIS_SENTINEL_NAME')
    await expect(loadConfig({ env: { REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'm' } })).rejects.toThrow(
      'REDIS_SENTINELS must be a comma-separated list of host:port, got "s1"',
    )
    await expect(loadConfig({ env: { REDIS_CLUSTER_NODES: 'nohost' } })).rejects.toThrow(
      'REDIS_CLUSTER_NODES.cluster[0] must be a cluster node as "host:port"',
    )
    await expect(loadConfig({ env: { REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' } })).rejects.toThrow(
      'REDIS_URL and REDIS_CLUSTER_NODES are both set',
    )
  })

  it('takes redis from the file, TLS files relative to it, and refuses redis with redisUrl', async () => {
    const file = writeConfig('tls.json', { redis: { url: 'rediss://h:6380', tls: { ca: 'certs/ca.pem' } }, routes: [route] })
    const { config } = await loadConfig({ env: { TOLLGATE_CONFIG: file } })
    expect(config.redis).toEqual({ url: 'rediss://h:6380', tls: { ca: join(dir!, 'certs/ca.pem') } })
    const both = writeConfig('both.json', { redisUrl: 'redis://a:1', redis: { cluster: ['b:2'] }, routes: [route] })
    await expect(loadConfig({ env: { TOLLGATE_CONFIG: both } })).rejects.toThrow('redis cannot be set together with redisUrl')
  })

  it('reads the admin listener and the drain delay from the environment, each checked under its own name', async () => {
    const env = { TOLLGATE_ADMIN_PORT: '9901', TOLLGATE_ADMIN_HOST: '10.0.0.5', TOLLGATE_DRAIN_DELAY_MS: '15000' }
    const { config, source } = await loadConfig({ env })
    expect(config).toMatchObject({ adminPort: 9901, adminHost: '10.0.0.5', drainDelayMs: 15_000 })
    expect(source.env).toEqual(['TOLLGATE_ADMIN_PORT', 'TOLLGATE_ADMIN_HOST', 'TOLLGATE_DRAIN_DELAY_MS'])
    await expect(loadConfig({ env: { TOLLGATE_ADMIN_PORT: 'admin' } })).rejects.toThrow(
      'TOLLGATE_ADMIN_PORT must be an integer from 0 to 65535, got "admin"',
    )
    await expect(loadConfig({ env: { TOLLGATE_DRAIN_DELAY_MS: '-1' } })).rejects.toThrow(/^TOLLGATE_DRAIN_DELAY_MS must be/)
  })

  it('drains for 5 s on SIGTERM unless the config says otherwise (the core default is 0)', async () => {
    const { config } = await loadConfig({ env: {} })
    expect(toGatewayOptions(config, console).drainDelayMs).toBe(DEFAULT_DRAIN_DELAY_MS)
    expect(DEFAULT_DRAIN_DELAY_MS).toBe(5_000)
    expect(toGatewayOptions({ ...config, drainDelayMs: 0 }, console).drainDelayMs).toBe(0)
  })

  it('takes --config over TOLLGATE_CONFIG and resolves the key file next to the config', async () => {
    const chosen = writeConfig('chosen.json', { port: 1, keys: { store: 'file', file: 'keys/k.json' }, routes: [route] })
    const ignored = writeConfig('ignored.json', { port: 2, routes: [route] })
    const { config, source } = await loadConfig({ argv: [`--config=${chosen}`], env: { TOLLGATE_CONFIG: ignored } })
    expect(config.port).toBe(1)
    expect(source.file).toBe(chosen)
    expect(config.keys?.file).toBe(join(dir!, 'keys/k.json'))
  })

  it('loads a TS config module (default export)', async () => {
    const { config } = await loadConfig({ argv: ['--config', 'src/fixtures/tollgate.config.ts'], cwd: appDir, env: { PORT: '0' } })
    expect(config).toMatchObject({ port: 0, host: '127.0.0.1', logLevel: 'warn' })
    expect(config.routes.map((r) => [r.prefix, r.upstream])).toEqual([
      ['/api', 'http://127.0.0.1:8001'],
      ['/orders', ['http://127.0.0.1:8002', 'http://127.0.0.1:8003']],
    ])
  })

  it('names the file when it is missing or not JSON', async () => {
    await expect(loadConfig({ env: { TOLLGATE_CONFIG: '/nonexistent/tollgate.json' } })).rejects.toThrow(
      'TOLLGATE_CONFIG: config file not found: /nonexistent/tollgate.json',
    )
    const broken = writeConfig('broken.json', '{ "routes": [ }')
    await expect(loadConfig({ argv: ['--config', broken], env: {} })).rejects.toThrow(`--config: config file ${broken} is not valid JSON`)
    await expect(loadConfig({ argv: ['--config', 'gw.toml'], env: {} })).rejects.toThrow(
      '--config must name a .json, .yaml, .yml, .ts or .js file',
    )
  })

  it('reads YAML files with the same fields, and names the line of a YAML syntax error', async () => {
    const yaml = writeConfig('gw.yaml', 'port: 9100\nroutes:\n  - prefix: /api\n    upstream: http://127.0.0.1:9000\n    methods: [GET]\n')
    const { config } = await loadConfig({ argv: ['--config', yaml], env: {} })
    expect(config.port).toBe(9100)
    expect(config.routes).toEqual([{ prefix: '/api', upstream: 'http://127.0.0.1:9000', methods: ['GET'] }])
    const broken = writeConfig('broken.yml', 'routes:\n  - prefix: /api\n   upstream: [\n')
    await expect(loadConfig({ argv: ['--config', broken], env: {} })).rejects.toThrow(/is not valid YAML: .*line 3/s)
  })

  it('lets --port and --host flags win over the environment and the file', async () => {
    const file = writeConfig('flags.json', { port: 9000, host: '127.0.0.1', routes: [route] })
    const { config } = await loadConfig({ argv: ['--config', file], env: { PORT: '9100' }, flags: { port: 9200, host: '::1' } })
    expect(config).toMatchObject({ port: 9200, host: '::1' })
  })
})

describe('workers', () => {
  const redisUrl = 'redis://127.0.0.1:6379'
  it('defaults to one process; takes a number or "auto" from the file, TOLLGATE_WORKERS or --workers (the flag wins)', async () => {
    expect(validateConfig({ routes: [] }, defaults).workers).toBeUndefined()
    const file = writeConfig('workers.json', { redisUrl, workers: 4, routes: [] })
    expect((await loadConfig({ argv: ['--config', file], env: {} })).config.workers).toBe(4)
    expect((await loadConfig({ argv: ['--config', file], env: { TOLLGATE_WORKERS: 'auto' } })).config.workers).toBe('auto')
    const flagged = await loadConfig({ argv: ['--config', file], env: { TOLLGATE_WORKERS: '3' }, flags: { workers: 2 } })
    expect(flagged.config.workers).toBe(2)
    expect(flagged.source.env).toContain('TOLLGATE_WORKERS')
  })

  it.each([
    [{ workers: 0 }, 'workers', 'a whole number of worker processes from 1 to 1024, or "auto"'],
    [{ workers: 'all' }, 'workers', 'a whole number of worker processes from 1 to 1024, or "auto"'],
    [{ workers: 2 }, 'workers', 'workers is 2 but no Redis is configured: each worker process would keep its own rate limits, API keys'],
    [{ workers: 'auto' }, 'workers', 'workers is "auto" but no Redis is configured'],
    [{ workers: 2, redis: { cluster: ['10.0.0.1:7000'] }, keys: { store: 'file' } }, 'keys.store', 'keys.store is "file" with workers 2'],
    [{ workers: 2, redisUrl, keys: { store: 'file' } }, 'keys.store', 'keys.store is "file" with workers 2: each worker would see only'],
    [{ workers: 2, redisUrl, keys: { store: 'memory' } }, 'keys.store', 'keys.store is "memory" with workers 2'],
  ])('%j → ConfigError at %s', (fields, path, message) => {
    const attempt = () => validateConfig({ ...fields, routes: [] }, defaults)
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(message)
    try {
      attempt()
    } catch (error) {
      expect((error as ConfigError).path).toBe(path)
    }
  })

  it('workers 1 needs nothing; more than one with Redis keeps keys in Redis by default', () => {
    expect(validateConfig({ workers: 1, routes: [] }, defaults).keys).toEqual({ store: 'file', file: 'data/keys.json' })
    expect(validateConfig({ workers: 2, redisUrl, routes: [] }, defaults)).toMatchObject({ workers: 2, keys: { store: 'redis' } })
  })

  it('TOLLGATE_WORKERS is checked under its own name', async () => {
    await expect(loadConfig({ env: { TOLLGATE_WORKERS: 'many' } })).rejects.toThrow(/TOLLGATE_WORKERS must be a whole number/)
  })
})
