// Runs `tsx src/main.ts` as a real process, as `pnpm start` does.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, killLaunched, launch, waitFor } from './fixtures/launch.js'

afterEach(killLaunched)

describe('tsx src/main.ts', () => {
  it('prints the banner, proxies to the demo upstream, and exits 0 on SIGTERM', async () => {
    const gateway = launch({ PORT: '0', HOST: '127.0.0.1', TOLLGATE_DRAIN_DELAY_MS: '0' })
    const [, url] = await waitFor(gateway, /Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/)
    await waitFor(gateway, /endpoints: /)
    expect(gateway.output()).toMatch(/\/api → http:\/\/127\.0\.0\.1:\d+ \(demo\) \[GET, POST, HEAD\]/)

    const response = await fetch(`${url}/api/hello`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ message: 'Hello from the Tollgate demo upstream' })

    const started = Date.now()
    gateway.child.kill('SIGTERM')
    expect(await gateway.exited).toBe(0)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(gateway.output()).toContain('SIGTERM received')
  })

  it('exits 1 with a message naming the field when the config is invalid', async () => {
    const gateway = launch({ PORT: 'eighty' })
    expect(await gateway.exited).toBe(1)
    expect(gateway.output()).toContain('invalid config: PORT must be an integer from 0 to 65535, got "eighty"')
    expect(gateway.output()).not.toMatch(/\n\s+at /) // no stack trace for a config mistake
  })

  it('--port wins over PORT', async () => {
    const port = await freePort()
    const gateway = launch({ PORT: '1', HOST: '127.0.0.1', TOLLGATE_DRAIN_DELAY_MS: '0' }, ['--port', String(port)])
    await waitFor(gateway, new RegExp(`Tollgate listening on http://127\\.0\\.0\\.1:${port}`))
    gateway.child.kill('SIGTERM')
    expect(await gateway.exited).toBe(0)
  })
})

describe('the tollgate command line', () => {
  it('--help prints the usage and exits 0 without starting anything', async () => {
    const run = launch({ PORT: '0' }, ['--help'])
    expect(await run.exited).toBe(0)
    expect(run.output()).toContain('tollgate check FILE')
    expect(run.output()).not.toContain('listening')
  })

  it('--version prints the package version', async () => {
    const run = launch({}, ['--version'])
    expect(await run.exited).toBe(0)
    expect(run.output().trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('an unknown flag exits 1 with one line naming it', async () => {
    const run = launch({}, ['--prot', '9000'])
    expect(await run.exited).toBe(1)
    expect(run.output()).toContain('unknown option --prot (see tollgate --help)')
    expect(run.output()).not.toMatch(/\n\s+at /)
  })

  it('check FILE validates the example config, prints its routes and exits 0', async () => {
    const run = launch({}, ['check', 'tollgate.config.example.json'])
    expect(await run.exited).toBe(0)
    expect(run.output()).toContain('valid, 4 route(s)')
    expect(run.output()).toMatch(/\/api\/echo → .*\(demo\)/)
    expect(run.output()).not.toContain('listening')
  })

  it('check FILE exits 1 with the field path when a route option is invalid (YAML)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-check-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'routes:\n  - prefix: /api\n    upstream: http://127.0.0.1:9000\n    timeoutMs: -5\n')
    const run = launch({}, ['check', file])
    expect(await run.exited).toBe(1)
    expect(run.output()).toMatch(/invalid config: routes\[0\]\.timeoutMs/)
    expect(run.output()).not.toMatch(/\n\s+at /)
  })
})
