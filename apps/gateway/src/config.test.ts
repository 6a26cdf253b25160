import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConfigError } from '@tollgate/core'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig, validateConfig } from './config.js'

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

describe('validateConfig', () => {
  it.each([
    ['routes missing', {}, 'routes must be a list of { prefix, upstream, ...options }, got undefined'],
    [
      'a bad upstream',
      { routes: [route, route, { prefix: '/x', upstream: 42 }].map((r, i) => ({ ...r, prefix: `/r${i}` })) },
      'routes[2].upstream must be a URL string, a list of URLs, or { targets: [...] }',
    ],
    ['a missing upstream', { routes: [{ prefix: '/api' }] }, 'routes[0].upstream is required'],
    ['a prefix without /', { routes: [{ ...route, prefix: 'api' }] }, 'routes[0].prefix must be a path starting with "/"'],
    ['a duplicate prefix', { routes: [route, { ...route, prefix: '/api/' }] }, 'routes[1].prefix "/api/" duplicates routes[0].prefix'],
    ['methods as a string', { routes: [{ ...route, methods: 'GET' }] }, 'routes[0].methods must be a non-empty list of HTTP methods'],
    ['retry as a number', { routes: [{ ...route, retry: 3 }] }, 'routes[0].retry must be an object, got 3'],
    ['timeoutMs as a string', { routes: [{ ...route, timeoutMs: '5s' }] }, 'routes[0].timeoutMs must be a number, got "5s"'],
    ['a port out of range', { port: 70_000, routes: [] }, 'port must be an integer from 0 to 65535, got 70000'],
    ['an unknown key store', { keys: { store: 'disk' }, routes: [] }, 'keys.store must be one of "memory", "file", "redis", got "disk"'],
    ['a redis key store without redis', { keys: { store: 'redis' }, routes: [] }, 'keys.store is "redis" but redisUrl is not set'],
    ['a non-redis URL', { redisUrl: 'http://127.0.0.1:6379', routes: [] }, 'redisUrl must be a redis:// or rediss:// URL'],
    ['a bad trustProxy', { trustProxy: 'yes', routes: [] }, 'trustProxy must be true, false, a number of trusted hops'],
    ['a bad log level', { logLevel: 'loud', routes: [] }, 'logLevel must be one of silent, fatal, error, warn, info'],
    [
      'a bad failure rate',
      { demoUpstream: { failureRate: 2 }, routes: [] },
      'demoUpstream.failureRate must be a number from 0 to 1, got 2',
    ],
    ['an unknown server limit', { server: { maxHeaders: 1 }, routes: [] }, 'server.maxHeaders is not an option'],
  ])('names the field: %s', (_case, config, message) => {
    expect(() => validateConfig(config, defaults)).toThrow(ConfigError)
    expect(() => validateConfig(config, defaults)).toThrow(message)
  })

  it('never echoes a malformed admin token', () => {
    expect(() => validateConfig({ adminToken: 'hunter2', routes: [] }, defaults)).toThrow(
      /^adminToken must be a string of at least 16 characters/,
    )
    expect(() => validateConfig({ adminToken: 'hunter2', routes: [] }, defaults)).not.toThrow(/hunter2/)
  })

  it('fills defaults, drops // notes and keeps fields it does not know', () => {
    const config = validateConfig(
      { '//': 'note', routes: [{ ...route, '//': 'note', upstreamLimit: { maxConcurrent: 4 } }], futureOption: 1 },
      defaults,
    )
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', keys: { store: 'file', file: 'data/keys.json' }, futureOption: 1 })
    expect(config.routes[0]).toEqual({ ...route, upstreamLimit: { maxConcurrent: 4 } })
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
    await expect(loadConfig({ env: { TOLLGATE_TRUST_PROXY: '500' } })).rejects.toThrow('TOLLGATE_TRUST_PROXY must be true, false')
    await expect(loadConfig({ env: { TOLLGATE_TRUST_PROXY: 'true' } })).resolves.toMatchObject({ config: { trustProxy: true } })
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
