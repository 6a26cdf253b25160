// Request bodies: buffered when small (replayable on retry), counted while streaming when chunked.

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
