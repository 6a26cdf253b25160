// The real health probe: GET the check path over undici with its own small agent, closed when checks stop.
import { Agent, request } from 'undici'
import type { HealthProbe } from './probe.js'

/** A probe that owns sockets: `close()` releases them. */
export interface HTTPProbe extends HealthProbe {
  close(): Promise<void>
}

/**
 * Creates the probe the HealthChecker uses by default: success is a 2xx or 3xx answer (redirects are not
 * followed); any other status, a connection error or the checker's abort is a failure. The body is discarded.
 * @example
 * const probe = createHTTPProbe()
 * await probe(target, { url: 'http://127.0.0.1:8001/health', signal: AbortSignal.timeout(1000), timeoutMs: 1000 })
 * await probe.close()
 */
export const createHTTPProbe = (): HTTPProbe => {
  // One connection per origin is enough (a target's probes never overlap); a private agent keeps probes off
  // the forwarder's pools and lets stop() close every socket they opened.
  const agent = new Agent({ connections: 1, pipelining: 0, keepAliveTimeout: 10_000 })
  const probe = async (_target: unknown, { url, signal, timeoutMs }: Parameters<HealthProbe>[1]): Promise<void> => {
    const { statusCode, body } = await request(url, {
      method: 'GET',
      signal,
      dispatcher: agent,
      headers: { 'user-agent': 'tollgate-health-check', accept: '*/*' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    await body.dump({ limit: 64 * 1024, signal })
    if (statusCode < 200 || statusCode >= 400) throw new Error(`unhealthy status ${statusCode}`)
  }
  return Object.assign(probe, { close: () => agent.destroy() })
}
