// The built-in JSON logger gathers lines into few writes: none may be lost when the process ends before they went out.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { AccessLog, jsonAccessLogger } from './access-log.js'
import type { AccessLogRecord } from './access-log-record.js'
import { stderrAbout } from './stderr.test-helper.js'

const record = (path: string, keyId?: string): AccessLogRecord => ({
  ...{ time: undefined, requestId: 'r', traceId: undefined, method: 'GET', path, route: undefined, status: 200 },
  ...{ upstream: undefined, attempts: 1, durationMs: 2.5, bytesIn: 0, bytesOut: 10, cache: undefined, rateLimit: undefined },
  ...{ clientIp: '127.0.0.1', keyId, error: undefined },
})

describe('jsonAccessLogger', () => {
  it('hands every field to the writer thread in its place: a record with each field set and distinct comes back whole', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-fields-')), 'access.log')
    const log = new AccessLog({ logger: jsonAccessLogger(file) })
    const every: AccessLogRecord = {
      ...{ time: '2026-11-30T06:40:13.762Z', requestId: 'req-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' },
      ...{ method: 'PATCH', path: '/p', route: 'route-id', status: 201, upstream: 'http://127.0.0.1:1', attempts: 2 },
      ...{ durationMs: 3.5, bytesIn: 4, bytesOut: 5, cache: 'miss', rateLimit: 'allowed', clientIp: '10.0.0.1' },
      ...{ keyId: 'key-id', error: 'bad_gateway', aborted: true },
    }
    log.write(every)
    await vi.waitFor(() => expect(readFileSync(file, 'utf8')).toContain('\n'), { timeout: 10_000 })
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(every)}\n`)
  })

  it('writes every line once and in order across batches, a line bigger than a batch among them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-batches-')), 'access.log')
    const log = new AccessLog({ logger: jsonAccessLogger(file) })
    const records: AccessLogRecord[] = []
    // ~600 lines of ~150 bytes (two 64 KB batches and a part), one with a 100 000-character key id in the middle.
    for (let i = 0; i < 600; i++) records.push(record(`/r/${i}/${'é'.repeat(i % 7)}`, i === 300 ? 'k'.repeat(100_000) : undefined))
    for (const r of records) log.write(r)
    const read = () => readFileSync(file, 'utf8').split('\n').filter(Boolean)
    await vi.waitFor(() => expect(read()).toHaveLength(records.length), { timeout: 10_000 })
    expect(read().map((line) => JSON.parse(line))).toEqual(records.map((r) => JSON.parse(JSON.stringify(r))))
  })

  it('a destination that cannot be opened is reported once on stderr and its lines dropped, the gateway unharmed', async () => {
    const { said, restore } = stderrAbout('tollgate-missing-dir')
    try {
      const log = new AccessLog({ logger: jsonAccessLogger(join(tmpdir(), 'tollgate-missing-dir', 'x', 'access.log')) })
      log.write(record('/lost'))
      await vi.waitFor(() => expect(said.join('')).toMatch(/cannot be written: .*ENOENT/), { timeout: 10_000 })
      for (let i = 0; i < 300; i++) log.write(record('/after')) // dropped without a throw or a second message
      expect(said).toHaveLength(1)
    } finally {
      restore()
    }
  })

  it('writes the lines still waiting when the process exits', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-exit-'))
    const file = join(dir, 'access.log')
    const script = join(dir, 'exit.mjs')
    const accessLog = new URL('./access-log.ts', import.meta.url).href
    // Three lines: two through the access log (a record), one through info() with a field of its own; the process
    // exits long before the lines' flush timer would have written them.
    writeFileSync(
      script,
      `import { openSync } from 'node:fs'
import { AccessLog, jsonAccessLogger } from ${JSON.stringify(accessLog)}
const logger = jsonAccessLogger(openSync(process.argv[2], 'a'))
const log = new AccessLog({ logger })
const record = (path) => ({ time: undefined, requestId: 'r', traceId: undefined, method: 'GET', path, route: undefined, status: 200,
  upstream: undefined, attempts: 0, durationMs: 0.1, bytesIn: 0, bytesOut: 10, cache: undefined, rateLimit: undefined,
  clientIp: '127.0.0.1', keyId: undefined, error: undefined })
log.write(record('/first'))
logger.info({ path: '/info', tenant: 'kept' })
setTimeout(() => {
  log.write({ ...record('/last'), aborted: true })
  process.exit(0)
}, 10)
`,
    )
    const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script, file], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] })
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toEqual([
      {
        requestId: 'r',
        method: 'GET',
        path: '/first',
        status: 200,
        attempts: 0,
        durationMs: 0.1,
        bytesIn: 0,
        bytesOut: 10,
        clientIp: '127.0.0.1',
      },
      { path: '/info', tenant: 'kept' },
      expect.objectContaining({ path: '/last', aborted: true }),
    ])
  })
})
