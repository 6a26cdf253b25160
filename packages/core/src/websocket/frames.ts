// Just enough of RFC 6455 framing to close a tunnel cleanly: where frames end, and a Close frame of our own.
import { randomBytes } from 'node:crypto'

/**
 * Follows one direction of a WebSocket stream frame by frame, reading only headers (payloads are skipped, never
 * copied), so the gateway can slip a Close frame in between two frames instead of inside one.
 */
export class FrameCursor {
  readonly #header = Buffer.alloc(14)
  #have = 0
  #need = 2
  #payloadLeft = 0

  /** Whether the bytes seen so far end exactly at a frame's end. */
  get atBoundary(): boolean {
    return this.#have === 0 && this.#payloadLeft === 0
  }

  /**
   * Advances over `chunk`. Returns the first offset in it (0..length) where a frame ends, or -1; with `stop`, reading
   * stops at that offset (the rest of the chunk is not consumed).
   */
  scan(chunk: Uint8Array, stop = false): number {
    let first = this.atBoundary ? 0 : -1
    if (stop && first === 0) return 0
    let i = 0
    while (i < chunk.length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - i)
        this.#payloadLeft -= take
        i += take
      } else {
        const header = this.#header
        header[this.#have++] = chunk[i++]!
        if (this.#have === 2) {
          const length7 = header[1]! & 0x7f
          this.#need = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (header[1]! & 0x80 ? 4 : 0)
        }
        if (this.#have < 2 || this.#have < this.#need) continue
        const length7 = header[1]! & 0x7f
        this.#payloadLeft = length7 < 126 ? length7 : length7 === 126 ? header.readUInt16BE(2) : Number(header.readBigUInt64BE(2))
        this.#have = 0
      }
      if (this.#payloadLeft === 0) {
        if (first < 0) first = i
        if (stop) return i
      }
    }
    return first
  }
}

/** A Close frame (code, reason ≤ 123 bytes); `masked` for the client-to-server direction, as RFC 6455 requires. */
export const closeFrame = (code: number, reason: string, masked: boolean): Buffer => {
  const payload = Buffer.alloc(2 + Math.min(123, Buffer.byteLength(reason)))
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2, payload.length - 2)
  const header = Buffer.from([0x88, (masked ? 0x80 : 0) | payload.length])
  if (!masked) return Buffer.concat([header, payload])
  const mask = randomBytes(4)
  for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!
  return Buffer.concat([header, mask, payload])
}
