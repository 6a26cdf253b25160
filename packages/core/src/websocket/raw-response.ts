// Writing an HTTP answer on a socket the HTTP server handed over ('upgrade'): status line, headers, body, close.
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/** How long a refused upgrade's socket lingers (reading and dropping) after the answer, so the client reads it. */
const LINGER_MS = 1_000

/** Fields that described the original framing or connection; the socket closes after this answer. */
const FRAMING = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade'])

/** The status line and header block of `response`, ending with `Connection: close`. */
export const responseHead = (response: Response): string => {
  let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n`
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && !FRAMING.has(name)) head += `${name}: ${value}\r\n`
  })
  for (const cookie of response.headers.getSetCookie()) head += `set-cookie: ${cookie}\r\n`
  return `${head}connection: close\r\n\r\n`
}

/**
 * Writes `response` on `socket` and closes it: the body is delimited by the close (it may be an upstream's refusal
 * of any length, streamed through). Never rejects; a socket that is already gone just drops the answer.
 */
export const writeRawResponse = async (socket: Duplex, response: Response): Promise<void> => {
  if (socket.destroyed) {
    await response.body?.cancel().catch(() => {})
    return
  }
  socket.on('error', () => {})
  socket.write(responseHead(response))
  try {
    if (response.body) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        if (socket.destroyed) break
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve))
      }
    }
  } catch {
    // the upstream's body broke off: the client sees the answer end early
  }
  socket.end()
  socket.resume()
  const timer = setTimeout(() => socket.destroy(), LINGER_MS)
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
}
