// The access log's writer thread: turns the batches the gateway's thread hands over into JSON lines and writes them
// to the destination, then says how many batches are written (the gateway's thread waits on that at exit).
import { openSync, writeSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { accessLineBound, writeAccessLine } from './access-line.js'
import type { AccessLogRecord } from './access-log-record.js'
import { type LineWriterData, RECORD, RECORD_FIELDS, type Batch } from './line-batch.js'

const { destination, written } = workerData as LineWriterData
const acknowledged = new Int32Array(written)
const fd = typeof destination === 'number' ? destination : openSync(destination, 'a')
let buffer = Buffer.allocUnsafe(65_536)
let batches = 0

/** Waits `ms` without spinning (a full pipe answers EAGAIN until its reader catches up). */
const pause = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

const writeAll = (bytes: Buffer): void => {
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
      pause(5)
    }
  }
}

const recordAt = (values: unknown[], i: number): AccessLogRecord => {
  const record = {} as Record<string, unknown>
  for (let field = 0; field < RECORD_FIELDS.length; field++) {
    const value = values[i + field]
    if (value !== undefined) record[RECORD_FIELDS[field]!] = value
  }
  return record as unknown as AccessLogRecord
}

/** Room for `bound` more bytes after `used`: a bigger buffer with the same bytes when needed. */
const reserve = (used: number, bound: number): void => {
  if (used + bound <= buffer.length) return
  const bigger = Buffer.allocUnsafe(Math.max(buffer.length * 2, used + bound))
  buffer.copy(bigger, 0, 0, used)
  buffer = bigger
}

parentPort!.on('message', (batch: Batch) => {
  let used = 0
  for (let i = 0; i < batch.length; ) {
    if (batch[i] === RECORD) {
      const record = recordAt(batch, i + 1)
      reserve(used, accessLineBound(record))
      used = writeAccessLine(record, buffer, used)
      i += 1 + RECORD_FIELDS.length
    } else {
      const line = batch[i + 1] as string
      reserve(used, Buffer.byteLength(line))
      used += buffer.write(line, used, 'utf8')
      i += 2
    }
  }
  writeAll(buffer.subarray(0, used))
  Atomics.store(acknowledged, 0, ++batches)
  Atomics.notify(acknowledged, 0)
})
