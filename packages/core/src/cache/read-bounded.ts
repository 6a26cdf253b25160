// Reading one branch of a teed upstream body into memory, up to the largest body the cache stores.

/** Reads a tee branch into memory; undefined (and the branch cancelled) once it passes `maxBytes` or fails. */
export const readBounded = async (stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | undefined> => {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        // Not awaited: a tee branch's cancel settles only when the other branch ends too.
        reader.cancel().catch(() => {})
        return undefined
      }
      chunks.push(value)
    }
  } catch {
    return undefined // the upstream body failed; the client's branch sees the same error
  }
  if (chunks.length === 1) return chunks[0]
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
