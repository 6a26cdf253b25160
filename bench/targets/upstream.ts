// Bench upstream: plain node:http, answers every request with the same small JSON body, keep-alive.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { announce, countConnection, countRequest, listenHost } from '../lib/target-runtime.js'

/** Body size in bytes (UPSTREAM_BODY_BYTES). Default 100. */
const bodyBytes = Number(process.env.UPSTREAM_BODY_BYTES ?? 100)

const makeBody = (size: number): Buffer => {
  const skeleton = JSON.stringify({ id: 42, name: 'item', pad: '' })
  if (size < skeleton.length) throw new Error(`UPSTREAM_BODY_BYTES must be at least ${skeleton.length}`)
  return Buffer.from(JSON.stringify({ id: 42, name: 'item', pad: 'x'.repeat(size - skeleton.length) }))
}

const body = makeBody(bodyBytes)
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) }

const server = createServer((_req, res) => {
  countRequest()
  res.writeHead(200, headers)
  res.end(body)
})
server.on('connection', countConnection)
// Proxies hold pooled connections between runs; do not let them idle out and reconnect mid-run.
server.keepAliveTimeout = 60_000

server.listen(0, listenHost, () => {
  announce((server.address() as AddressInfo).port, {
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  })
})
