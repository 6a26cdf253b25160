// The app on SIGTERM, as a real process: readiness fails for the drain delay while traffic is served, then it
// drains; a request cut at shutdownTimeoutMs is logged and changes the exit code (EXIT_REQUESTS_CUT).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { killLaunched, launch, waitFor } from './fixtures/launch.js'
import { EXIT_FAILED, EXIT_REQUESTS_CUT } from './shutdown.js'

afterEach(killLaunched)

const configFile = (config: Record<string, unknown>): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-drain-')), 'tollgate.json')
  writeFileSync(file, JSON.stringify({ port: 0, host: '127.0.0.1', keys: { store: 'memory' }, ...config }))
  return file
}

const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('the app on SIGTERM', () => {
  it('fails readiness (on both listeners) while still serving, for the drain delay; a second signal exits 1', async () => {
    // A delay no loaded machine can outlast; the second signal ends it.
    const app = launch({ PORT: '0', HOST: '127.0.0.1', TOLLGATE_ADMIN_PORT: '0', TOLLGATE_DRAIN_DELAY_MS: '60000' })
    const [, url] = await waitFor(app, /Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/)
    const [, adminUrl] = await waitFor(app, /status: (http:\/\/127\.0\.0\.1:\d+)\/_metrics .*\(admin listener\)/)
    expect((await fetch(`${url}/_health/ready`)).status).toBe(200)
    expect((await fetch(`${url}/_metrics`)).status).toBe(404) // served on the admin listener only
    expect((await fetch(`${adminUrl}/_metrics`)).status).toBe(200)

    app.child.kill('SIGTERM')
    await waitFor(app, /SIGTERM received: readiness fails for the drain delay/)
    const ready = await until(
      () => fetch(`${url}/_health/ready`).then((r) => r.status),
      (status) => status === 503,
    )
    expect(ready).toBe(503)
    expect((await fetch(`${adminUrl}/_health/ready`)).status).toBe(503)
    const hello = await fetch(`${url}/api/hello`)
    expect(hello.status).toBe(200) // still served
    expect((await fetch(`${url}/_health/live`)).status).toBe(200)

    app.child.kill('SIGTERM')
    expect(await app.exited).toBe(EXIT_FAILED)
    expect(app.output()).toContain('SIGTERM again: exiting without waiting')
  })

  it('a request cut at shutdownTimeoutMs is logged with the count and the exit code is EXIT_REQUESTS_CUT (3)', async () => {
    const config = configFile({
      shutdownTimeoutMs: 300,
      drainDelayMs: 0,
      demoUpstream: { latencyMs: 60_000 },
      routes: [{ prefix: '/api', upstream: 'demo', timeoutMs: 120_000 }],
    })
    const app = launch({}, ['--config', config])
    const [, url] = await waitFor(app, /Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/)
    const slow = fetch(`${url}/api/hello`).then(
      (r) => r.status,
      () => 'cut',
    )
    // The request is in flight once the gateway holds a connection to the demo upstream for it.
    const running = await until(
      async () => {
        const metrics = (await (await fetch(`${url}/_metrics`)).json()) as { upstream_connections?: Record<string, { running: number }> }
        return Object.values(metrics.upstream_connections ?? {}).reduce((sum, origin) => sum + origin.running, 0)
      },
      (count) => count > 0,
    )
    expect(running).toBe(1)
    app.child.kill('SIGTERM')
    expect(await app.exited).toBe(EXIT_REQUESTS_CUT)
    expect(await slow).toBe('cut')
    expect(app.output()).toContain('stop: cut 1 request still in flight after shutdownTimeoutMs (300 ms)')
    expect(app.output()).toContain(`exit code ${EXIT_REQUESTS_CUT}`)
  })
})
