import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConsola, type ConsolaInstance, type LogObject } from 'consola'
import { freePort } from '@tollgate/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { formatBanner } from './banner.js'
import { loadConfig, validateConfig } from './config.js'
import { startGateway, type RunningGateway } from './start-gateway.js'

/** A consola that prints nothing and keeps the warnings. */
const quiet = (): ConsolaInstance & { warnings: string[] } => {
  const warnings: string[] = []
  const reporter = { log: (entry: LogObject) => void (entry.type === 'warn' && warnings.push(entry.args.join(' '))) }
  return Object.assign(createConsola({ reporters: [reporter], throttle: 0 }), { warnings })
}
const local = { port: 0, host: '127.0.0.1' }

let running: RunningGateway | undefined
afterEach(async () => {
  await running?.stop({ drainDelayMs: 0 })
  running = undefined
})

/** True when nothing listens on the port any more. */
const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })

describe('startGateway', () => {
  it('boots the default config and proxies to the bundled demo upstream', async () => {
    const { config, source } = await loadConfig({ env: { PORT: '0', HOST: '127.0.0.1' } })
    running = await startGateway(config, { logger: quiet() })

    const hello = await fetch(`${running.url}/api/hello`)
    expect(hello.status).toBe(200)
    expect(hello.headers.get('via')).toBe('1.1 tollgate')
    expect(await hello.json()).toMatchObject({ message: 'Hello from the Tollgate demo upstream' })
    const users = await fetch(`${running.url}/api/users`)
    expect(await users.json()).toHaveLength(3)
    const created = await fetch(`${running.url}/api/users`, { method: 'POST', body: JSON.stringify({ name: 'Edsger' }) })
    expect(created.status).toBe(201)
    const denied = await fetch(`${running.url}/api/users/1`, { method: 'DELETE' })
    expect(denied.status).toBe(405)
    await denied.body?.cancel()

    const metrics = (await (await fetch(`${running.url}/_metrics`)).json()) as Record<string, number>
    expect(metrics).toMatchObject({ requests_total: 4, requests_success: 3 })

    const banner = formatBanner(running, config, source).join('\n')
    expect(banner).toContain(`Tollgate listening on ${running.url}`)
    expect(banner).toMatch(new RegExp(`/api → ${running.demoUpstream!.url} \\(demo\\) \\[GET, POST, HEAD\\] timeout 5000ms, retry ×2`))

    const { demoUpstream } = running
    await running.stop({ drainDelayMs: 0 })
    running = undefined
    expect(await portIsFree(demoUpstream!.port)).toBe(true)
  })

  it('names the route field the core rejects and leaves nothing listening', async () => {
    // The config schema catches field errors; what needs the gateway (an unknown preset) fails at registration.
    const config = validateConfig(
      {
        ...local,
        demoUpstream: { port: 0 },
        routes: [
          { prefix: '/ok', upstream: 'demo' },
          { prefix: '/crm', upstream: 'http://127.0.0.1:8001', upstreamLimit: { preset: 'crm' } },
        ],
      },
      local,
    )
    await expect(startGateway(config, { logger: quiet() })).rejects.toThrow(
      /^routes\[1\]\.upstreamLimit\.preset must be a known preset \(.*github/,
    )
    const pool = validateConfig({ routes: [{ prefix: '/p', upstream: { targets: ['http://127.0.0.1:1', 'http://127.0.0.1:1/'] } }] }, local)
    await expect(startGateway(pool, { logger: quiet() })).rejects.toThrow(
      'routes[0].upstream.targets[1] duplicates routes[0].upstream.targets[0]',
    )
  })

  it('refuses unknown fields (with a suggestion), and never shows a secret in the banner', async () => {
    expect(() => validateConfig({ ...local, routes: [{ prefix: '/api', upstream: 'demo', rateLimt: {} }] }, local)).toThrow(
      'routes[0].rateLimt is not a known option (did you mean rateLimit?)',
    )
    const config = validateConfig({ ...local, routes: [{ prefix: '/api', upstream: 'demo', rateLimit: { requestsPerMinute: 10 } }] }, local)
    running = await startGateway(config, { logger: quiet() })
    const secret = { adminToken: `${'x'.repeat(20)}SECRET`, redisUrl: 'redis://user:PASSWORD@cache:6379' }
    const banner = formatBanner(running, { ...config, ...secret }, { file: '/etc/tollgate.json', env: ['TOLLGATE_ADMIN_TOKEN'] }).join('\n')
    expect(banner).toContain('admin API: on')
    expect(banner).toContain('redis redis://user:***@cache:6379')
    expect(banner).toContain('rate 10/min')
    expect(banner).not.toMatch(/SECRET|PASSWORD/)
  })

  it('rejects a taken port with a clear error and stops the demo upstream it started', async () => {
    running = await startGateway(validateConfig({ ...local, routes: [] }, local), { logger: quiet() })
    const demoPort = await freePort()
    const clash = validateConfig({ port: running.port, host: '127.0.0.1', demoUpstream: { port: demoPort }, routes: [] }, local)
    await expect(startGateway(clash, { logger: quiet() })).rejects.toThrow(`port ${running.port} is already in use`)
    expect(await portIsFree(demoPort)).toBe(true)
  })
})

describe('API keys in the app', () => {
  it('keeps keys in the file store across a restart, so an issued key still works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-keys-'))
    try {
      const config = validateConfig(
        {
          ...local,
          keys: { store: 'file', file: join(dir, 'keys.json') },
          demoUpstream: {},
          routes: [{ prefix: '/api', upstream: 'demo', requireAuth: true }],
        },
        local,
      )
      running = await startGateway(config, { logger: quiet() })
      const key = await running.gateway.apiKeyManager.createApiKey('survivor')
      await running.stop({ drainDelayMs: 0 })
      running = await startGateway(config, { logger: quiet() })
      const res = await fetch(`${running.url}/api/hello`, { headers: { 'x-api-key': key } })
      expect(res.status).toBe(200)
      const missing = await fetch(`${running.url}/api/hello`)
      expect(missing.status).toBe(401)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('upstream presets file', () => {
  it('merges a presets file over the built-ins, lets routes use its presets, and rejects a bad one naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-presets-'))
    try {
      const { writeFileSync } = await import('node:fs')
      const good = join(dir, 'presets.json')
      writeFileSync(good, JSON.stringify({ presets: { crm: { requestsPerSecond: 2 } } }))
      const config = validateConfig({ ...local, keys: { store: 'memory' }, upstreamPresetsFile: good, routes: [] }, local)
      running = await startGateway(config, { logger: quiet() })
      expect(running.gateway.options.upstreamPresets).toHaveProperty('crm')
      expect(running.gateway.options.upstreamPresets).toHaveProperty('github')
      await running.stop({ drainDelayMs: 0 })
      running = undefined
      // A route of the same config uses the custom preset.
      const withRoute = validateConfig(
        {
          ...local,
          keys: { store: 'memory' },
          upstreamPresetsFile: good,
          demoUpstream: {},
          routes: [{ prefix: '/crm', upstream: 'demo', stripPrefix: true, upstreamLimit: { preset: 'crm' } }],
        },
        local,
      )
      running = await startGateway(withRoute, { logger: quiet() })
      expect((await fetch(`${running.url}/crm/api/hello`)).status).toBe(200)
      expect(running.gateway.upstreamStatus()[0]).toMatchObject({ ratePerSecond: 2, rateSource: 'configured' })
      await running.stop({ drainDelayMs: 0 })
      running = undefined
      const bad = join(dir, 'bad.json')
      writeFileSync(bad, JSON.stringify({ presets: { github: { requestsPerHour: -1 } } }))
      const badConfig = validateConfig({ ...local, keys: { store: 'memory' }, upstreamPresetsFile: bad, routes: [] }, local)
      await expect(startGateway(badConfig, { logger: quiet() })).rejects.toThrow(/upstreamPresetsFile .*presets\.github\.requestsPerHour/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
