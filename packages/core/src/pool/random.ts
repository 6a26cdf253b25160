// Weighted random: each eligible target is chosen with probability weight / Σ eligible weights.
import type { Balancer, UpstreamTarget } from './types.js'

/**
 * Stateless across instances, which suits many gateways in front of the same pool.
 * @param random a source of uniform numbers in [0, 1); injectable so tests can be deterministic.
 */
export class RandomBalancer implements Balancer {
  readonly #random: () => number
  #eligible = new Uint8Array(0)

  constructor(random: () => number = Math.random) {
    this.#random = random
  }

  pick(targets: readonly UpstreamTarget[], eligible: (target: UpstreamTarget) => boolean): UpstreamTarget | undefined {
    const n = targets.length
    if (n === 1) return eligible(targets[0]!) ? targets[0] : undefined
    if (this.#eligible.length !== n) this.reset(targets)
    const flags = this.#eligible
    let total = 0
    let last = -1
    for (let i = 0; i < n; i++) {
      const target = targets[i]!
      if (eligible(target)) {
        flags[i] = 1
        total += target.weight
        last = i
      } else {
        flags[i] = 0
      }
    }
    if (last < 0) return undefined
    let point = this.#random() * total
    for (let i = 0; i < last; i++) {
      if (flags[i] === 0) continue
      point -= targets[i]!.weight
      if (point < 0) return targets[i]
    }
    return targets[last]
  }

  reset(targets: readonly UpstreamTarget[]): void {
    this.#eligible = new Uint8Array(targets.length)
  }
}
