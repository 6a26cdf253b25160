// Bench baseline: the least a node:http proxy can do (keep-alive agent, streams piped both ways, no header work).
import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { announce, listenHost, upstreamUrlFromEnv } from '../lib/target-runtime.js'

const upstream = new URL(upstreamUrlFromEnv())
const agent = new Agent({ keepAlive: true, maxSockets: 256 })

const server = createServer((req, res) => {
  const forward = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    },
  )
  forward.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-length': '0' })
    res.end()
  })
  req.pipe(forward)
})
server.keepAliveTimeout = 60_000

server.listen(0, listenHost, () => {
  announce((server.address() as AddressInfo).port, {
    close: () => {
      server.closeAllConnections()
      server.close()
      agent.destroy()
    },
  })
})
