// What a health probe is: the contract between the HealthChecker and the probes it runs (the HTTP one, or yours).
import type { UpstreamTarget } from './types.js'

export interface ProbeRequest {
  /** Absolute URL to GET: the target's origin + the check path. */
  url: string
  /** Aborted when the probe times out or the checker stops. */
  signal: AbortSignal
  timeoutMs: number
}

/** Resolves when the target answered healthily; rejects (with the reason) otherwise. */
export type HealthProbe = (target: UpstreamTarget, request: ProbeRequest) => Promise<void>
