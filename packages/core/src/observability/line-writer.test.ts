// The writer thread's hand-off when the destination stops reading: lines are dropped (and counted) instead of piling
// up in memory, and writing resumes once the destination drains.
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, readSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { LineWriter } from './line-writer.js'
import { stderrAbout } from './stderr.test-helper.js'

describe('LineWriter', () => {
  it('drops lines while its destination is stuck (saying so once), and says how many once it drains', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'tollgate-fifo-')), 'log')
    execFileSync('mkfifo', [fifo])
    const fd = openSync(fifo, 'r+') // read-write: no reader needed to open; writes block once the pipe's 64 KB are full
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const stderr = stderrAbout(`access log (${fd})`)
    let received = ''
    const readAvailable = () => {
      const chunk = Buffer.alloc(1 << 16)
      for (;;) {
        try {
          const n = readSync(reader, chunk, 0, chunk.length, null)
          if (n === 0) return
          received += chunk.toString('utf8', 0, n)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return
          throw error
        }
      }
    }
    try {
      const writer = new LineWriter(fd, 2)
      const line = (n: number) => `{"n":${n},"pad":"${'x'.repeat(290)}"}\n` // 256 lines ≈ 77 KB: one batch fills the pipe
      for (let n = 0; n < 256 * 5; n++) writer.line(line(n))
      // Batches 1 and 2 were handed over (the thread is stuck writing the first); 3 to 5 were dropped.
      await vi.waitFor(() => expect(stderr.said.join('')).toMatch(/not keeping up \(2 batches unwritten\): dropping lines/))
      expect(stderr.said).toHaveLength(1)
      // The destination drains: the two batches handed over arrive whole and in order.
      await vi.waitFor(
        () => {
          readAvailable()
          expect(received.split('\n').filter(Boolean)).toHaveLength(512)
        },
        { timeout: 10_000 },
      )
      for (let n = 2000; n < 2000 + 256; n++) writer.line(line(n))
      await vi.waitFor(
        () => {
          readAvailable()
          expect(received.split('\n').filter(Boolean)).toHaveLength(768)
        },
        { timeout: 10_000 },
      )
      const numbers = received
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).n as number)
      expect(numbers).toEqual([...Array.from({ length: 512 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 2000 + i)])
      expect(stderr.said[1]).toMatch(/caught up; 768 lines were dropped meanwhile/)
    } finally {
      stderr.restore()
      closeSync(reader)
      closeSync(fd)
    }
  })
})
