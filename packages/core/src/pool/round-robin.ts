// Smooth weighted round-robin (nginx's algorithm): weights 3:1 give a a b a, never a burst to the heavy target.
import type { Balancer, UpstreamTarget } from './types.js'

/**
 * Each pick adds every eligible target's weight to its running score, takes the highest score and subtracts
 * the eligible total from it. Over any window of Σweight picks each target gets exactly its weight; an
 * ineligible target keeps its score frozen, so it rejoins where it left off.
 */
export class RoundRobinBalancer implements Balancer {
  #current: number[] = []

  pick(targets: readonly UpstreamTarget[], eligible: (target: UpstreamTarget) => boolean): UpstreamTarget | undefined {
    if (targets.length === 1) return eligible(targets[0]!) ? targets[0] : undefined
    const current = this.#current
    if (current.length !== targets.length) this.reset(targets)
    let best = -1
    let total = 0
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!
      if (!eligible(target)) continue
      current[i]! += target.weight
      total += target.weight
      if (best < 0 || current[i]! > current[best]!) best = i
    }
    if (best < 0) return undefined
    current[best]! -= total
    return targets[best]
  }

  reset(targets: readonly UpstreamTarget[]): void {
    this.#current = targets.map(() => 0)
  }
}
