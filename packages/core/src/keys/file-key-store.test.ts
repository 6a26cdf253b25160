// The file store's crash safety: a failed or interrupted write never costs the file that was there before.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { APIKeyManager } from './api-key-manager.js'
import { FileKeyStore, type KeyStoreFileSystem } from './file-key-store.js'
import type { APIKeyRecord } from './types.js'

const record = (id: string): APIKeyRecord => ({ id, name: `app ${id}`, hash: 'cd'.repeat(32), createdAt: 1 })

/** node:fs/promises with one step replaced, as a crash or a full disk would make it fail. */
const faultyFs = (overrides: Partial<KeyStoreFileSystem>): KeyStoreFileSystem => ({
  open: fs.open,
  rename: fs.rename,
  readFile: fs.readFile,
  readdir: fs.readdir,
  unlink: fs.unlink,
  mkdir: fs.mkdir,
  ...overrides,
})

const crash = () => Promise.reject(Object.assign(new Error('simulated crash'), { code: 'EIO' }))

describe('FileKeyStore', () => {
  let dir: string
  let path: string

  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'tollgate-keyfile-'))
    path = join(dir, 'nested', 'keys.json')
  })
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true })
  })

  const tempFiles = async () => (await fs.readdir(join(dir, 'nested'))).filter((name) => name.endsWith('.tmp'))

  it('writes one JSON file, readable only by its owner, holding digests and no keys', async () => {
    const manager = new APIKeyManager({ store: new FileKeyStore({ path }) })
    const key = await manager.createApiKey('App', { requestsPerMinute: 5 })
    const text = await fs.readFile(path, 'utf8')
    const parsed = JSON.parse(text) as { version: number; keys: APIKeyRecord[] }
    expect(parsed.version).toBe(1)
    expect(parsed.keys).toHaveLength(1)
    expect(parsed.keys[0]!.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(text).not.toContain(key.split('_')[2])
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600)
    expect(await tempFiles()).toEqual([])
  })

  it('ignores and removes a half-written temp file left by a crash', async () => {
    const first = new FileKeyStore({ path })
    await first.put(record('a'))
    await first.close()
    const leftover = join(dir, 'nested', `.keys.json.4242.deadbeef.tmp`)
    await fs.writeFile(leftover, '{"version":1,"keys":[{"id":"b","na')

    const reopened = await FileKeyStore.open({ path })
    expect((await reopened.list()).map((r) => r.id)).toEqual(['a'])
    expect(await tempFiles()).toEqual([])
    await reopened.put(record('c'))
    expect((await FileKeyStore.open({ path }).then((s) => s.list())).map((r) => r.id)).toEqual(['a', 'c'])
  })

  it('a crash between writing the temp file and renaming it leaves the previous file readable', async () => {
    const good = new FileKeyStore({ path })
    await good.put(record('a'))
    // The process "dies" after fsync and before rename: the rename never happens and nothing cleans up.
    const dying = await FileKeyStore.open({ path, fs: faultyFs({ rename: crash, unlink: async () => {} }) })
    await expect(dying.put(record('b'))).rejects.toThrow(/cannot write key file/)
    expect(await tempFiles()).toHaveLength(1)
    // What the failed write meant to add is not visible either: memory matches the disk.
    expect(await dying.get('b')).toBeUndefined()

    const restarted = await FileKeyStore.open({ path })
    expect((await restarted.list()).map((r) => r.id)).toEqual(['a'])
    expect(await tempFiles()).toEqual([])
  })

  it('a failed fsync removes its temp file and keeps the previous file', async () => {
    const store = new FileKeyStore({ path })
    await store.put(record('a'))
    const failing = await FileKeyStore.open({
      path,
      fs: faultyFs({
        open: (async (...args: Parameters<typeof fs.open>) => {
          const handle = await fs.open(...args)
          if (String(args[0]).endsWith('.tmp')) handle.sync = crash
          return handle
        }) as typeof fs.open,
      }),
    })
    await expect(failing.delete('a')).rejects.toThrow(/cannot write key file/)
    expect(await failing.get('a')).toEqual(record('a'))
    expect(await tempFiles()).toEqual([])
    // A restart reads the state from before the failed write.
    expect((await FileKeyStore.open({ path }).then((s) => s.list())).map((r) => r.id)).toEqual(['a'])
  })

  it('serializes concurrent writes so none is lost', async () => {
    const store = new FileKeyStore({ path })
    const ids = Array.from({ length: 40 }, (_, i) => `k${i}`)
    await Promise.all([...ids.map((id) => store.put(record(id))), store.delete('k0'), store.update('k1', { tier: 'gold' })])
    const reopened = await FileKeyStore.open({ path })
    const ids2 = (await reopened.list()).map((r) => r.id)
    expect(ids2.sort()).toEqual(ids.filter((id) => id !== 'k0').sort())
    expect((await reopened.get('k1'))!.tier).toBe('gold')
  })

  it('refuses to open a corrupt file rather than overwrite it', async () => {
    await fs.mkdir(join(dir, 'nested'), { recursive: true })
    await fs.writeFile(path, '{"version":1,"keys":[{"id":')
    await expect(FileKeyStore.open({ path })).rejects.toThrow(/not valid JSON/)
    const lazy = new FileKeyStore({ path })
    await expect(lazy.put(record('x'))).rejects.toThrow(/not valid JSON/)
    expect(await fs.readFile(path, 'utf8')).toBe('{"version":1,"keys":[{"id":')

    await fs.writeFile(path, '{"version":1,"keys":[{"id":"x"}]}')
    await expect(FileKeyStore.open({ path })).rejects.toThrow(/list of key records/)
  })

  it('a process killed (SIGKILL) in the middle of writing leaves every committed key readable', async () => {
    const storeUrl = new URL('./file-key-store.ts', import.meta.url).href
    const writer = join(dir, 'writer.mjs')
    // Puts records forever with ~40 KB files, reporting each id once its put has resolved.
    await fs.writeFile(
      writer,
      `import { FileKeyStore } from ${JSON.stringify(storeUrl)}
const store = new FileKeyStore({ path: process.argv[2] })
for (let i = 0; ; i++) {
  await store.put({ id: 'k' + i, name: 'n'.repeat(300), hash: 'ab'.repeat(32), createdAt: i })
  process.stdout.write('k' + i + '\\n')
}
`,
    )
    const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
    for (let round = 0; round < 2; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, path], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] })
      const exited = new Promise((resolve) => child.once('exit', resolve))
      const committed: string[] = []
      const target = 60 + round * 40 + Math.floor(Math.random() * 20)
      for await (const line of createInterface({ input: child.stdout })) {
        committed.push(line)
        if (committed.length === target) child.kill('SIGKILL')
      }
      await exited
      expect(committed.length).toBeGreaterThanOrEqual(target)
      const ids = new Set((await (await FileKeyStore.open({ path })).list()).map((r) => r.id))
      for (const id of committed) expect(ids.has(id)).toBe(true)
      expect(await tempFiles()).toEqual([])
    }
  })

  it('starts empty when the file does not exist yet', async () => {
    const store = await FileKeyStore.open({ path })
    expect(await store.list()).toEqual([])
    expect(await store.delete('nothing')).toBe(false)
    await expect(fs.access(path)).rejects.toThrow()
  })
})
