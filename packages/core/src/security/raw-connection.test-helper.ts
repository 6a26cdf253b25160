// One raw TCP connection for tests that need the wire: pipelining, keep-alive reuse, resets, half-closes.
import { connect, type Socket } from 'node:net'

export interface WireResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export interface RawConnection {
  readonly socket: Socket
  /** Socket error codes seen so far (ECONNRESET, EPIPE …). */
  readonly errors: string[]
  write(data: string | Buffer): Promise<void>
  /** The next complete response on the connection (Content-Length or chunked framing). */
  response(): Promise<WireResponse>
  /** Resolves when the server ended the connection: 'end' (clean FIN) or the socket error's code. */
  closed(): Promise<string>
  close(): void
}

/** Opens a connection to an http://host:port URL; `allowHalfOpen` keeps sending possible after the server's FIN. */
export const openConnection = (url: string, options: { allowHalfOpen?: boolean } = {}): Promise<RawConnection> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: options.allowHalfOpen ?? false })
    const errors: string[] = []
    let buffer = Buffer.alloc(0)
    let waiter: (() => void) | undefined
    let outcome: string | undefined
    const closedWaiters: Array<(how: string) => void> = []
    const settle = (how: string) => {
      outcome ??= how
      for (const w of closedWaiters.splice(0)) w(outcome)
      waiter?.()
    }
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      waiter?.()
    })
    socket.on('end', () => settle('end'))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      errors.push(error.code ?? error.message)
      settle(error.code ?? error.message)
    })
    socket.on('close', () => settle('close'))

    const parse = (): WireResponse | undefined => {
      const headEnd = buffer.indexOf('\r\n\r\n')
      if (headEnd < 0) return undefined
      const [statusLine, ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const status = Number(statusLine!.split(' ')[1])
      let rest = buffer.subarray(headEnd + 4)
      if (headers['transfer-encoding'] === 'chunked') {
        const parts: Buffer[] = []
        for (;;) {
          const lineEnd = rest.indexOf('\r\n')
          if (lineEnd < 0) return undefined
          const size = Number.parseInt(rest.subarray(0, lineEnd).toString(), 16)
          if (rest.length < lineEnd + 2 + size + 2) return undefined
          parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
          rest = rest.subarray(lineEnd + 2 + size + 2)
          if (size === 0) break
        }
        buffer = rest
        return { status, headers, body: Buffer.concat(parts).toString() }
      }
      const length = Number(headers['content-length'] ?? 0)
      if (rest.length < length) return undefined
      buffer = rest.subarray(length)
      return { status, headers, body: rest.subarray(0, length).toString() }
    }

    const connection: RawConnection = {
      socket,
      errors,
      write: (data) => new Promise((done, fail) => socket.write(data, (error) => (error ? fail(error) : done()))),
      response: () =>
        new Promise((done, fail) => {
          const check = () => {
            const parsed = parse()
            if (parsed) {
              waiter = undefined
              done(parsed)
            } else if (outcome !== undefined) {
              waiter = undefined
              fail(new Error(`connection ${outcome} before a complete response (${buffer.length} bytes buffered)`))
            }
          }
          waiter = check
          check()
        }),
      closed: () => new Promise((done) => (outcome !== undefined ? done(outcome) : closedWaiters.push(done))),
      close: () => socket.destroy(),
    }
    socket.once('connect', () => resolve(connection))
    socket.once('error', reject)
  })

/** A request head with a Content-Length body of `bytes` bytes. */
export const withLength = (method: string, path: string, bytes: number, headers: Record<string, string> = {}): Buffer =>
  Buffer.concat([Buffer.from(head(method, path, { ...headers, 'content-length': String(bytes) })), Buffer.alloc(bytes, 'a')])

/** A request with a chunked body of `bytes` bytes, sent in 16 KiB chunks. */
export const chunked = (method: string, path: string, bytes: number, headers: Record<string, string> = {}): Buffer => {
  const parts: Buffer[] = [Buffer.from(head(method, path, { ...headers, 'transfer-encoding': 'chunked' }))]
  for (let left = bytes; left > 0; left -= 16_384) {
    const size = Math.min(16_384, left)
    parts.push(Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 'b'), Buffer.from('\r\n'))
  }
  parts.push(Buffer.from('0\r\n\r\n'))
  return Buffer.concat(parts)
}

/** A GET request head. */
export const get = (path: string, headers: Record<string, string> = {}): string => head('GET', path, headers)

const head = (method: string, path: string, headers: Record<string, string>): string =>
  `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`
