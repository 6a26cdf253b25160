// Least-connections: the target with the fewest in-flight requests per unit of weight; ties share by weight.
import type { Balancer, UpstreamTarget } from './types.js'

/**
 * Picks the eligible target with the lowest `inFlight / weight` (nginx's `least_conn`). Targets tied on that
 * load share picks by smooth weighted round-robin, so idle targets of equal weight still alternate instead of
 * the first one taking every request. The caller maintains `inFlight`.
 */
export class LeastConnectionsBalancer implements Balancer {
  #current = new Float64Array(0)
  #eligible = new Uint8Array(0)

  pick(targets: readonly UpstreamTarget[], eligible: (target: UpstreamTarget) => boolean): UpstreamTarget | undefined {
    const n = targets.length
    if (n === 1) return eligible(targets[0]!) ? targets[0] : undefined
    if (this.#current.length !== n) this.reset(targets)
    const flags = this.#eligible
    // Pass 1: the lowest load, compared by cross-multiplication (a.inFlight / a.weight < b.inFlight / b.weight).
    let least: UpstreamTarget | undefined
    for (let i = 0; i < n; i++) {
      const target = targets[i]!
      const ok = eligible(target)
      flags[i] = ok ? 1 : 0
      if (ok && (least === undefined || target.inFlight * least.weight < least.inFlight * target.weight)) least = target
    }
    if (least === undefined) return undefined
    // Pass 2: smooth weighted round-robin among the targets as lightly loaded as `least`.
    const current = this.#current
    let best = -1
    let total = 0
    for (let i = 0; i < n; i++) {
      const target = targets[i]!
      if (flags[i] === 0 || target.inFlight * least.weight !== least.inFlight * target.weight) continue
      current[i]! += target.weight
      total += target.weight
      if (best < 0 || current[i]! > current[best]!) best = i
    }
    current[best]! -= total
    return targets[best]
  }

  reset(targets: readonly UpstreamTarget[]): void {
    this.#current = new Float64Array(targets.length)
    this.#eligible = new Uint8Array(targets.length)
  }
}
