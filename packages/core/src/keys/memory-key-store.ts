// In-process key store: for tests and single-instance gateways whose keys may vanish on restart.
import { applyPatch, cloneRecord, type APIKeyPatch, type APIKeyRecord, type APIKeyStore } from './types.js'

/** Keeps key records in a Map; every read returns a copy. */
export class MemoryKeyStore implements APIKeyStore {
  #records = new Map<string, APIKeyRecord>()

  async get(id: string): Promise<APIKeyRecord | undefined> {
    const record = this.#records.get(id)
    return record && cloneRecord(record)
  }

  async put(record: APIKeyRecord): Promise<void> {
    this.#records.set(record.id, cloneRecord(record))
  }

  async update(id: string, patch: APIKeyPatch): Promise<APIKeyRecord | undefined> {
    const record = this.#records.get(id)
    if (!record) return undefined
    const next = applyPatch(record, structuredClone(patch))
    this.#records.set(id, next)
    return cloneRecord(next)
  }

  async delete(id: string): Promise<boolean> {
    return this.#records.delete(id)
  }

  async list(): Promise<APIKeyRecord[]> {
    return [...this.#records.values()].map(cloneRecord)
  }

  async close(): Promise<void> {}
}
