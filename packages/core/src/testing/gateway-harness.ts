// Test harness: gateways and upstreams started on 127.0.0.1:0 and all closed after each test.
import { APIGateway } from '../gateway.js'
import type { GatewayOptions, Logger } from '../options.js'
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from './mock-upstream.js'

/** A logger that keeps what it was given, for assertions (and silence). */
export const captureLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = []
  const keep = (...args: unknown[]) => void lines.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '))
  return { lines, info: keep, warn: keep, error: keep, debug: keep } as Logger & { lines: string[] }
}

export interface Harness {
  upstream(options?: MockUpstreamOptions): Promise<MockUpstream>
  gateway(setup: (gateway: APIGateway) => void, options?: GatewayOptions): Promise<{ gateway: APIGateway; url: string; port: number }>
  /** Registers extra cleanup work. */
  defer(close: () => unknown): void
  /** Closes everything started so far, newest first. */
  close(): Promise<void>
}

/**
 * @example
 * const h = createHarness(); afterEach(() => h.close())
 * const up = await h.upstream(); const { url } = await h.gateway((g) => g.registerRoute('/api', up.url))
 */
export const createHarness = (): Harness => {
  const closers: Array<() => unknown> = []
  return {
    async upstream(options) {
      const upstream = await startMockUpstream(options)
      closers.push(() => upstream.close())
      return upstream
    },
    async gateway(setup, options = {}) {
      const gateway = new APIGateway({ logger: captureLogger(), ...options })
      setup(gateway)
      const { url, port } = await gateway.start({ port: 0 })
      closers.push(() => gateway.stop())
      return { gateway, url, port }
    },
    defer(close) {
      closers.push(close)
    },
    async close() {
      while (closers.length) await closers.pop()!()
    },
  }
}
