import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../errors.js'
import { APIGateway } from '../gateway.js'
import { captureLogger } from '../testing/gateway-harness.js'
import { freePort, redisAvailable, startRedisServer } from '../testing/redis-server.js'
import { resolveRedisOption } from './resolve.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-tls-'))
  // biome-ignore format: openssl's flags read best in pairs
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem',
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('resolveRedisOption', () => {
  it('maps each form to one connection spec', () => {
    expect(resolveRedisOption({})).toBeUndefined()
    expect(resolveRedisOption({ redisUrl: 'redis://h:1' })).toEqual({ kind: 'url', url: 'redis://h:1' })
    expect(resolveRedisOption({ redis: { cluster: ['10.0.0.1:7000', 'rediss://u:p%40ss@10.0.0.2:7001', 'redis://[::1]:7002'] } })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      auth: { username: 'u', password: 'p@ss' },
      tls: {},
    })
    expect(resolveRedisOption({ redis: { sentinels: [{ host: 's', port: 26379 }], name: 'mymaster', options: { db: 1 } } })).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's', port: 26379 }],
      name: 'mymaster',
      options: { db: 1 },
    })
  })

  it('reads TLS files once, keeps PEM text, and names the field of a file it cannot read', () => {
    const pem = readFileSync(join(dir, 'cert.pem'), 'utf8')
    const spec = resolveRedisOption({
      redis: { url: 'rediss://h:1', tls: { ca: [join(dir, 'cert.pem'), pem], cert: pem, key: join(dir, 'key.pem') } },
    })
    expect(spec).toMatchObject({ kind: 'url', tls: { ca: [pem, pem], cert: pem, key: readFileSync(join(dir, 'key.pem'), 'utf8') } })
    const missing = () => resolveRedisOption({ redis: { url: 'rediss://h:1', tls: { ca: join(dir, 'nope.pem') } } })
    expect(missing).toThrow(ConfigError)
    expect(missing).toThrow(/options\.redis\.tls\.ca cannot be read: .*nope\.pem \(ENOENT\)/)
  })

  it('refuses redis and redisUrl together, and names a wrong field', () => {
    expect(() => new APIGateway({ redisUrl: 'redis://a:1', redis: { url: 'redis://b:2' } })).toThrow(
      /options\.redis cannot be set together with redisUrl/,
    )
    expect(() => new APIGateway({ redis: { cluster: ['nohost'] } })).toThrow(
      /options\.redis\.cluster\[0\] must be a cluster node as "host:port"/,
    )
    expect(() => new APIGateway({ redis: { sentinels: [{ host: 's', port: 26379 }] } as never })).toThrow(
      /options\.redis\.name is required/,
    )
  })
})

describe.skipIf(!redisAvailable())('a given ioredis instance', () => {
  it('is used by every store as it is, and left open on stop()', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url)
    const gateway = new APIGateway({ redis: client, logger: captureLogger() })
    try {
      await gateway.ready({ timeoutMs: 5_000 })
      const { key } = await gateway.apiKeyManager.createApiKeyWithId('app')
      expect(await gateway.apiKeyManager.validateApiKey(key)).not.toBeNull()
      expect(await client.exists(`tollgate:keys`)).toBe(1)
      await gateway.stop()
      expect(await client.ping()).toBe('PONG')
    } finally {
      client.disconnect()
      await server.close()
    }
  })
})

describe.skipIf(!redisAvailable())('rediss:// with CA and client certificate files', () => {
  it('connects over mutual TLS, the CA, cert and key given as file paths', async () => {
    const tlsPort = await freePort()
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')]
    // biome-ignore format: redis-server's flags read best in pairs
    const server = await startRedisServer({ args: ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key,
      '--tls-ca-cert-file', cert, '--tls-auth-clients', 'yes'] })
    const gateway = new APIGateway({
      redis: { url: `rediss://127.0.0.1:${tlsPort}`, tls: { ca: cert, cert, key } },
      logger: captureLogger(),
    })
    try {
      await gateway.ready({ timeoutMs: 5_000 })
      expect(await gateway.redis!.ping()).toBe('PONG')
      expect(gateway.health()).toMatchObject({ status: 'ok', stores: { redis: 'ready' } })
    } finally {
      await gateway.stop()
      await server.close()
    }
  })
})
