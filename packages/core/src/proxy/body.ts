// Request bodies: buffered when small (replayable on retry), counted while streaming when chunked.
import type { IncomingMessage } from 'node:http'

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`Request body exceeds ${maxBytes} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/** Reads a whole (small) body into one Buffer, failing past `maxBytes`. */
export const readBody = async (source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> => {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of source) {
    size += chunk.byteLength
    if (size > maxBytes) throw new BodyTooLargeError(maxBytes)
    chunks.push(chunk)
  }
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength) : Buffer.concat(chunks)
}

/** Passes a body through unchanged, throwing BodyTooLargeError once more than `maxBytes` went by. */
export async function* limitBody(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let size = 0
  for await (const chunk of source) {
    size += chunk.byteLength
    if (size > maxBytes) throw new BodyTooLargeError(maxBytes)
    yield chunk
  }
}

/**
 * The body of a Node request as chunks, without destroying the request when a reader stops early (a body over
 * its limit): the socket stays, and the rest is drained or the connection closed after the answer (settleBodies).
 */
export const bodySource = (incoming: IncomingMessage): AsyncIterable<Uint8Array> => ({
  [Symbol.asyncIterator]: () => incoming.iterator({ destroyOnReturn: false }),
})
