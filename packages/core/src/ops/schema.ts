// Operating the gateway: the admin listener, who may read the status endpoints, and the drain before stop().
import type { z as zod } from 'zod'
import { boolean, integer, text, z } from '../schema/kit.js'

export const opsGatewaySchema = z.strictObject({
  /**
   * Port of a second listener, opened by start(), that serves /_admin, /_metrics*, /_health*, /_upstreams* and the
   * dashboard; the traffic port then answers only /_health, /_health/live and /_health/ready of those. 0 picks a free
   * port. Default: none (one listener serves everything).
   */
  adminPort: integer(0, 65_535).optional(),
  /** Interface of the admin listener. Default "127.0.0.1". */
  adminHost: text('an interface address such as "127.0.0.1"').optional(),
  /**
   * Whether /_metrics*, /_upstreams* and /_health's details answer without the admin token. Default: true when the
   * listener serving them is bound to a loopback address, false otherwise (and for fetch() without a listener).
   */
  publicStatus: boolean().optional(),
  /**
   * On stop(), how long /_health/ready answers 503 while everything else is still served, before the listener
   * closes (time for load balancers to take this instance out), in ms. Default 0.
   */
  drainDelayMs: integer(0, 3_600_000).optional(),
})

export type OpsOptions = zod.input<typeof opsGatewaySchema>
