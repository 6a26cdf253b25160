// Why a request could not wait for an upstream's budget: a typed 503 with an accurate Retry-After.
import { GatewayError } from '../errors.js'

export type QueueRejectReason = 'queue_timeout' | 'queue_full' | 'aborted' | 'closed'

/** Why a request could not be sent: a 503 (`upstream_queue_timeout` or `upstream_queue_full`) with Retry-After. */
export class UpstreamQueueError extends GatewayError {
  readonly reason: QueueRejectReason
  readonly retryAfterMs: number
  constructor(reason: QueueRejectReason, retryAfterMs: number, message: string) {
    const ms = Math.max(0, Math.ceil(retryAfterMs))
    super(503, reason === 'queue_full' ? 'upstream_queue_full' : 'upstream_queue_timeout', message, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) },
    })
    this.name = 'UpstreamQueueError'
    this.reason = reason
    this.retryAfterMs = ms
  }
}
