import { describe, expect, it } from 'vitest'
import { closeFrame, FrameCursor } from './frames.js'

const frame = (length: number, masked: boolean): Buffer => {
  const extended = length < 126 ? 0 : length < 65_536 ? 2 : 8
  const header = Buffer.alloc(2 + extended + (masked ? 4 : 0))
  header[0] = 0x82
  header[1] = (masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127)
  if (extended === 2) header.writeUInt16BE(length, 2)
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2)
  return Buffer.concat([header, Buffer.alloc(length, 7)])
}

describe('FrameCursor', () => {
  // Empty, 7-bit, 16-bit and 64-bit lengths, masked and not: the stream's frame ends are known offsets.
  const frames = [frame(0, false), frame(5, true), frame(300, false), frame(70_000, true), frame(125, false)]
  const stream = Buffer.concat(frames)
  let sum = 0
  const ends = frames.map((f) => (sum += f.length))

  /** Offsets in the stream where frames end, as the cursor reports them chunk by chunk. */
  const frameEnds = (size: number): number[] => {
    const cursor = new FrameCursor()
    const found: number[] = []
    for (let at = 0; at < stream.length; at += size) {
      const chunk = stream.subarray(at, at + size)
      let offset = 0
      while (offset < chunk.length) {
        if (cursor.atBoundary) {
          cursor.scan(chunk.subarray(offset, offset + 1)) // step into the next frame
          offset += 1
          continue
        }
        const end = cursor.scan(chunk.subarray(offset), true)
        if (end < 0) break
        offset += end
        found.push(at + offset)
      }
    }
    expect(cursor.atBoundary).toBe(true)
    return found
  }

  it('finds every frame end whatever the chunking', () => {
    for (const size of [1, 2, 3, 7, 13, 126, 4_096, stream.length]) expect(frameEnds(size)).toEqual(ends)
  })

  it('reports 0 at a boundary, the first frame end inside a chunk otherwise', () => {
    const cursor = new FrameCursor()
    expect(cursor.scan(stream.subarray(0, 1))).toBe(0)
    expect(cursor.atBoundary).toBe(false)
    expect(cursor.scan(stream.subarray(1, 10))).toBe(1) // the empty frame ends at 2; the 5-byte one is still open
    expect(cursor.atBoundary).toBe(false)
    expect(cursor.scan(stream.subarray(10, 400), true)).toBe(ends[1]! - 10)
    expect(cursor.atBoundary).toBe(true)
  })

  // That `ws` accepts them both ways is shown end to end in websocket.test.ts (stop() → 1001 on both sides).
  it('writes Close frames: code and reason, masked for the upstream', () => {
    expect([...closeFrame(1001, 'bye', false)]).toEqual([0x88, 5, 0x03, 0xe9, ...Buffer.from('bye')])
    const masked = closeFrame(1001, 'bye', true)
    expect([masked[0], masked[1]]).toEqual([0x88, 0x80 | 5])
    const mask = masked.subarray(2, 6)
    expect([...masked.subarray(6)].map((byte, i) => byte ^ mask[i & 3]!)).toEqual([0x03, 0xe9, ...Buffer.from('bye')])
    expect(closeFrame(1001, 'x'.repeat(500), false)[1]).toBe(125)
  })
})
