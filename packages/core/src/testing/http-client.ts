// A raw HTTP client for tests: sends paths and headers exactly as given (fetch would normalise them).
import { request, type IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely (res.json().error.code)
  json<T = any>(): T
}

export interface RawRequestOptions {
  method?: string
  headers?: Record<string, string | string[]>
  body?: string | Buffer | Readable
  signal?: AbortSignal
}

/** Sends one request to `baseUrl + path` without touching the path; resolves with the whole response. */
export const rawRequest = (baseUrl: string, path: string, options: RawRequestOptions = {}): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const url = new URL(baseUrl)
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        signal: options.signal,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) })
        })
      },
    )
    req.on('error', reject)
    const body = options.body
    if (body === undefined) req.end()
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body)
    else body.pipe(req)
  })
