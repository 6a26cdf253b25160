// A gateway on `/api` that records the client IP it determined for each request (tests of trustProxy).
import type { GatewayOptions } from '../options.js'
import type { Harness } from '../testing/gateway-harness.js'

export const gatewayRecordingClientIps = async (h: Harness, trustProxy: GatewayOptions['trustProxy']) => {
  const up = await h.upstream()
  const seenIps: string[] = []
  const { url } = await h.gateway(
    (g) => {
      g.registerRoute('/api', up.url)
      g.addMiddleware(async (c, next) => {
        seenIps.push(c.get('clientIp'))
        await next()
      })
    },
    { trustProxy },
  )
  return { up, url, seenIps }
}
