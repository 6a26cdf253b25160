// Shared by the tracing tests: an upstream that fails once, so a request is retried.
import type { Harness } from '../testing/gateway-harness.js'
import type { MockUpstream } from '../testing/mock-upstream.js'

/** An upstream answering 503 to its first request, then 200 (the mock's echo). */
export const flakyUpstream = (h: Harness): Promise<MockUpstream> => {
  let calls = 0
  return h.upstream({
    handler: (_req, res) => {
      if (++calls > 1) return false
      res.writeHead(503, { 'content-length': '0' }).end()
      return true
    },
  })
}
