// Bench baseline: the fastest honest node:http proxy — keep-alive agent, bodies piped, hop-by-hop headers dropped.
import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { announce, listenHost, upstreamUrlFromEnv } from '../lib/target-runtime.js'

const upstream = new URL(upstreamUrlFromEnv())
const agent = new Agent({ keepAlive: true, maxSockets: 256 })
/** RFC 9110 §7.6.1, plus Host (the agent's request names the upstream). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host'])

/** Node's flat [name, value, …] list minus hop-by-hop fields; `first` leads it (the upstream's Host). */
const endToEnd = (raw: readonly string[], first: readonly string[]): string[] => {
  const out = [...first]
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!)
  }
  return out
}

/** Whether a request announces a body (Content-Length or Transfer-Encoding), read from the raw list. */
const hasBody = (raw: readonly string[]): boolean => {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if ((name.length === 14 || name.length === 17) && /^(content-length|transfer-encoding)$/i.test(name)) return true
  }
  return false
}

const hostPair = ['Host', upstream.host]

const server = createServer((req, res) => {
  // Raw header arrays both ways: req.headers / answer.headers are built lazily, as objects, on first access.
  const forward = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: endToEnd(req.rawHeaders, hostPair), agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.rawHeaders, []))
      answer.pipe(res)
    },
  )
  forward.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-length': '0' })
    res.end()
  })
  // A request without a body ends at once; piping an empty body costs a pipe's listeners on both streams.
  if (hasBody(req.rawHeaders)) req.pipe(forward)
  else forward.end()
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
