// Key store in one JSON file for single-node gateways: atomic replace (temp file + fsync + rename), serialized writes.
import * as nodeFs from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { applyPatch, cloneRecord, type APIKeyPatch, type APIKeyRecord, type APIKeyStore } from './types.js'

/** The slice of node:fs/promises the store uses; injectable so tests can fail a step as a crash would. */
export type KeyStoreFileSystem = Pick<typeof nodeFs, 'open' | 'rename' | 'readFile' | 'readdir' | 'unlink' | 'mkdir'>

export interface FileKeyStoreOptions {
  /** Path of the JSON file; its folder is created when missing. */
  path: string
  /** File system functions. Default node:fs/promises. */
  fs?: KeyStoreFileSystem
}

interface KeyFile {
  version: 1
  keys: APIKeyRecord[]
}

const isRecord = (value: unknown): value is APIKeyRecord =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as APIKeyRecord).id === 'string' &&
  typeof (value as APIKeyRecord).name === 'string' &&
  typeof (value as APIKeyRecord).hash === 'string' &&
  typeof (value as APIKeyRecord).createdAt === 'number'

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'

/**
 * Keeps every key record in one JSON file (mode 0600). Each change writes a complete new file next to the
 * real one, fsyncs it and renames it over the real one, so a crash at any point leaves either the old or
 * the new file, never a half-written one; leftover temp files are removed on load. Changes are applied one
 * at a time and only become visible once on disk. One process per file: instances sharing keys use Redis.
 *
 * @example
 * ```ts
 * const manager = new APIKeyManager({ store: new FileKeyStore({ path: './data/keys.json' }) })
 * ```
 */
export class FileKeyStore implements APIKeyStore {
  readonly path: string
  #fs: KeyStoreFileSystem
  #records: Map<string, APIKeyRecord> | undefined
  #loading: Promise<Map<string, APIKeyRecord>> | undefined
  #tail: Promise<unknown> = Promise.resolve()

  constructor(options: FileKeyStoreOptions) {
    this.path = options.path
    this.#fs = options.fs ?? nodeFs
  }

  /** Opens a store and loads its file at once, so a corrupt file fails here rather than on first use. */
  static async open(options: FileKeyStoreOptions): Promise<FileKeyStore> {
    const store = new FileKeyStore(options)
    await store.#load()
    return store
  }

  async get(id: string): Promise<APIKeyRecord | undefined> {
    const record = (await this.#load()).get(id)
    return record && cloneRecord(record)
  }

  async put(record: APIKeyRecord): Promise<void> {
    await this.#mutate((records) => {
      records.set(record.id, cloneRecord(record))
      return { changed: true, result: undefined }
    })
  }

  async update(id: string, patch: APIKeyPatch): Promise<APIKeyRecord | undefined> {
    return this.#mutate((records) => {
      const record = records.get(id)
      if (!record) return { changed: false, result: undefined }
      const next = applyPatch(record, structuredClone(patch))
      records.set(id, next)
      return { changed: true, result: cloneRecord(next) }
    })
  }

  async delete(id: string): Promise<boolean> {
    return this.#mutate((records) => {
      const existed = records.delete(id)
      return { changed: existed, result: existed }
    })
  }

  async list(): Promise<APIKeyRecord[]> {
    return [...(await this.#load()).values()].map(cloneRecord)
  }

  /** Waits for pending writes. */
  async close(): Promise<void> {
    await this.#tail.catch(() => {})
  }

  #load(): Promise<Map<string, APIKeyRecord>> {
    if (this.#records) return Promise.resolve(this.#records)
    this.#loading ??= this.#read().then(
      (records) => (this.#records = records),
      (error: unknown) => {
        this.#loading = undefined
        throw error
      },
    )
    return this.#loading
  }

  async #read(): Promise<Map<string, APIKeyRecord>> {
    await this.#removeTempFiles()
    let text: string
    try {
      text = await this.#fs.readFile(this.path, 'utf8')
    } catch (error) {
      if (isNotFound(error)) return new Map()
      throw new Error(`cannot read key file ${this.path}`, { cause: error })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      // Refuse to start rather than start empty and overwrite every key on the next write.
      throw new Error(`key file ${this.path} is not valid JSON`, { cause: error })
    }
    const keys = (parsed as Partial<KeyFile> | null)?.keys
    if (!Array.isArray(keys) || !keys.every(isRecord)) {
      throw new Error(`key file ${this.path} does not hold a list of key records`)
    }
    return new Map(keys.map((record) => [record.id, record]))
  }

  /** Temp files left by a crash before their rename never held the only copy of anything: drop them. */
  async #removeTempFiles(): Promise<void> {
    const dir = dirname(this.path)
    const stem = `.${basename(this.path)}.`
    let names: string[]
    try {
      names = await this.#fs.readdir(dir)
    } catch {
      return
    }
    for (const name of names) {
      if (name.startsWith(stem) && name.endsWith('.tmp')) await this.#fs.unlink(join(dir, name)).catch(() => {})
    }
  }

  /** Runs `change` on a copy of the records after every earlier change; the copy replaces them once written. */
  #mutate<T>(change: (records: Map<string, APIKeyRecord>) => { changed: boolean; result: T }): Promise<T> {
    const run = this.#tail.then(async () => {
      const next = new Map(await this.#load())
      const { changed, result } = change(next)
      if (changed) {
        await this.#write(next)
        this.#records = next
      }
      return result
    })
    this.#tail = run.catch(() => {})
    return run
  }

  async #write(records: Map<string, APIKeyRecord>): Promise<void> {
    const dir = dirname(this.path)
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
    const body: KeyFile = { version: 1, keys: [...records.values()] }
    try {
      await this.#fs.mkdir(dir, { recursive: true })
      const handle = await this.#fs.open(temp, 'wx', 0o600)
      try {
        await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`, 'utf8')
        await handle.sync()
      } finally {
        await handle.close()
      }
      await this.#fs.rename(temp, this.path)
    } catch (error) {
      await this.#fs.unlink(temp).catch(() => {})
      throw new Error(`cannot write key file ${this.path}`, { cause: error })
    }
    await this.#syncDir(dir)
  }

  /** Makes the rename itself durable; some platforms cannot open a folder, which is harmless. */
  async #syncDir(dir: string): Promise<void> {
    try {
      const handle = await this.#fs.open(dir, 'r')
      try {
        await handle.sync()
      } finally {
        await handle.close()
      }
    } catch {
      // best effort
    }
  }
}
