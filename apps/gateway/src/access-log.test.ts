// The app logs every request by default: JSON lines off a terminal, pretty lines on one, nothing with accessLog: false.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import { createConsola } from 'consola'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AccessLogSink } from './access-log.js'
import { validateConfig } from './config.js'
import { startGateway, type RunningGateway } from './start-gateway.js'

const quiet = () => createConsola({ reporters: [{ log() {} }] })
const local = { port: 0, host: '127.0.0.1' }
const demoRoute = { ...local, routes: [{ prefix: '/api', upstream: 'demo' }] }

let running: RunningGateway | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

/** A sink that keeps what is written; `isTTY` makes it look like a terminal. */
const sink = (isTTY = false) => {
  const stream = new PassThrough() as PassThrough & AccessLogSink
  if (isTTY) stream.isTTY = true
  let text = ''
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return { stream, text: () => text }
}

describe('the app access log', () => {
  it('is on by default: one JSON line per request when the output is not a terminal', async () => {
    const out = sink()
    running = await startGateway(validateConfig(demoRoute, local), { logger: quiet(), accessLogSink: out.stream })
    const res = await fetch(`${running.url}/api/hello?api_key=secret-in-query`, { headers: { authorization: 'Bearer secret-token' } })
    expect(res.status).toBe(200)
    await vi.waitFor(() => expect(out.text()).toContain('\n'), { timeout: 5_000 })
    const lines = out.text().trim().split('\n')
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0]!)
    expect(line).toMatchObject({ method: 'GET', path: '/api/hello', status: 200, requestId: res.headers.get('x-request-id') })
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(lines[0]).not.toMatch(/secret|authorization/i)
  })

  it('writes pretty lines on a terminal', async () => {
    const out = sink(true)
    running = await startGateway(validateConfig(demoRoute, local), { logger: quiet(), accessLogSink: out.stream })
    await fetch(`${running.url}/api/hello`)
    await vi.waitFor(() => expect(out.text()).toContain('/api/hello'), { timeout: 5_000 })
    expect(out.text()).toMatch(/GET \/api\/hello 200 [\d.]+ms route=api request=[0-9a-f-]{36}/)
    expect(out.text().trim().startsWith('{')).toBe(false)
  })

  it('accessLog: false writes nothing; sample: 0 leaves out a 200 and a 404', async () => {
    const off = sink()
    running = await startGateway(validateConfig({ ...demoRoute, accessLog: false }, local), { logger: quiet(), accessLogSink: off.stream })
    await fetch(`${running.url}/api/hello`)
    await fetch(`${running.url}/nowhere`)
    await running.stop()
    expect(off.text()).toBe('')

    const sampled = sink()
    running = await startGateway(validateConfig({ ...demoRoute, accessLog: { sample: 0 } }, local), {
      logger: quiet(),
      accessLogSink: sampled.stream,
    })
    await fetch(`${running.url}/api/hello`)
    await fetch(`${running.url}/nowhere`)
    await running.stop()
    expect(sampled.text()).toBe('')
  })

  it('rejects a bad accessLog setting naming the field', () => {
    expect(() => validateConfig({ ...demoRoute, accessLog: { sample: 3 } }, local)).toThrow(/accessLog/)
    expect(() => validateConfig({ ...demoRoute, accessLog: 'yes' }, local)).toThrow(/accessLog/)
  })

  it('the real process writes JSON access lines to stdout (a pipe), and none with accessLog: false', async () => {
    const appDir = resolve(import.meta.dirname, '..')
    const tsxCli = createRequire(import.meta.url).resolve('tsx/cli')
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-access-'))
    const run = async (config: object): Promise<string> => {
      const file = join(dir, `config-${Date.now()}.json`)
      writeFileSync(file, JSON.stringify(config))
      const child = spawn(process.execPath, [tsxCli, 'src/main.ts', '--config', file], {
        cwd: appDir,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let text = ''
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()))
      const exited = new Promise((done) => child.once('exit', done))
      try {
        await vi.waitFor(() => expect(text).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/), { timeout: 20_000, interval: 50 })
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]
        const res = await fetch(`${url}/api/hello`, { headers: { 'x-request-id': 'proc-req-1' } })
        expect(res.status).toBe(200)
      } finally {
        child.kill('SIGTERM')
        await exited
      }
      return text
    }
    const on = await run(demoRoute)
    const line = on.split('\n').find((l) => l.startsWith('{') && l.includes('proc-req-1'))
    expect(line, on).toBeDefined()
    expect(JSON.parse(line!)).toMatchObject({ requestId: 'proc-req-1', path: '/api/hello', status: 200, route: 'api' })
    const off = await run({ ...demoRoute, accessLog: false })
    expect(off).not.toContain('proc-req-1')
  }, 60_000)
})
