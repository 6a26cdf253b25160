// Bench upstream at the least CPU per request: raw TCP, one pre-built keep-alive response per request head, no
// HTTP parsing (bodyless GETs only). For suites where the upstream must take as little of the machine as it can.
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { announce, countConnection, countRequest, listenHost } from '../lib/target-runtime.js'

const skeleton = JSON.stringify({ id: 42, name: 'item', pad: '' })
const body = JSON.stringify({ id: 42, name: 'item', pad: 'x'.repeat(100 - skeleton.length) }) // 100 bytes, as upstream.ts
const response = Buffer.from(
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nkeep-alive: timeout=60\r\n\r\n${body}`,
)
const END = Buffer.from('\r\n\r\n')
const sockets = new Set<Socket>()

const server = createServer((socket) => {
  countConnection()
  sockets.add(socket)
  socket.once('close', () => sockets.delete(socket))
  socket.setNoDelay(true)
  // A head's end may straddle two chunks: keep the last 3 bytes of each for the next.
  let carry = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    let at = data.indexOf(END)
    let heads = 0
    let last = -1
    while (at !== -1) {
      heads++
      last = at + END.length
      at = data.indexOf(END, last)
    }
    const rest = last === -1 ? data : data.subarray(last)
    carry = Buffer.from(rest.subarray(Math.max(0, rest.length - 3)))
    for (let i = 0; i < heads; i++) countRequest()
    if (heads === 1) socket.write(response)
    else if (heads > 1) socket.write(Buffer.concat(Array(heads).fill(response)))
  })
  socket.on('error', () => socket.destroy())
})

server.listen(0, listenHost, () => {
  announce((server.address() as AddressInfo).port, {
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  })
})
