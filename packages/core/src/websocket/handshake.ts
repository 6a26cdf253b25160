// Opening a WebSocket to an upstream target: the upgrade request, then either its 101 (and the raw socket) or its answer.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Duplex } from 'node:stream'
import type { UpstreamTarget } from '../pool/types.js'

export type HandshakeResult =
  | { kind: 'upgraded'; response: IncomingMessage; socket: Duplex; head: Buffer }
  | { kind: 'response'; response: IncomingMessage }
  | { kind: 'timeout' | 'error' | 'client-gone'; error?: unknown }

export interface HandshakeOptions {
  target: UpstreamTarget
  /** Path and query after the target's base path. */
  path: string
  headers: Record<string, string>
  /** Connect plus the upstream's answer, in ms. */
  timeoutMs: number
  /** Aborts the handshake when the client goes away meanwhile. */
  signal: AbortSignal
}

/**
 * Sends the upgrade request on a connection of its own (never a pooled one: it becomes the tunnel) and waits for the
 * upstream's answer. Resolves, never rejects.
 */
export const upstreamHandshake = (options: HandshakeOptions): Promise<HandshakeResult> =>
  new Promise((resolve) => {
    const { target, signal } = options
    if (signal.aborted) return resolve({ kind: 'client-gone' })
    const url = target.url
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const request = send({
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: target.basePath + options.path,
      method: 'GET',
      headers: options.headers,
      agent: false,
    })
    let settled = false
    const settle = (result: HandshakeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      resolve(result)
    }
    const onAbort = () => {
      request.destroy()
      settle({ kind: 'client-gone' })
    }
    const timer = setTimeout(() => {
      request.destroy()
      settle({ kind: 'timeout' })
    }, options.timeoutMs)
    signal.addEventListener('abort', onAbort, { once: true })
    request.on('upgrade', (response: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (settled) return void socket.destroy()
      settle({ kind: 'upgraded', response, socket, head })
    })
    request.on('response', (response: IncomingMessage) => {
      if (settled) return void response.destroy()
      settle({ kind: 'response', response })
    })
    request.on('error', (error) => settle({ kind: 'error', error }))
    request.end()
  })
