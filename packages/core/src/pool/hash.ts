// Consistent hashing: a ring of virtual nodes, so a key sticks to one target and few keys move when one leaves.
import { RoundRobinBalancer } from './round-robin.js'
import type { Balancer, UpstreamTarget } from './types.js'

/** Virtual nodes per unit of weight; enough that each target's share of the ring is within ~10% of its due. */
export const POINTS_PER_WEIGHT = 160
/** Upper bound on ring size: very large weights scale the points per weight down, keeping shares proportional. */
export const MAX_RING_POINTS = 1 << 16

/**
 * 32-bit FNV-1a over UTF-16 code units, finished with murmur3's fmix32: FNV alone leaves short keys that
 * differ in their last character (IPs, numeric ids) close together on the ring.
 */
export const hash32 = (key: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The ring: sorted point hashes and, at the same position, the index of the target owning each point. */
export interface HashRing {
  readonly points: Uint32Array
  readonly owners: Uint32Array
}

/**
 * Builds the ring once per pool. A point's position depends only on its target's URL and ordinal, never on
 * the target's index or the other targets, so a pool without one target keeps every other point in place.
 */
export const buildHashRing = (targets: readonly UpstreamTarget[]): HashRing => {
  let totalWeight = 0
  for (const target of targets) totalWeight += target.weight
  const perWeight = Math.max(1, Math.min(POINTS_PER_WEIGHT, Math.floor(MAX_RING_POINTS / totalWeight)))
  const packed = new Float64Array(totalWeight * perWeight)
  let k = 0
  for (const target of targets) {
    const name = target.origin + target.basePath
    for (let v = 0, count = target.weight * perWeight; v < count; v++) {
      // hash × 2^16 + index stays an exact integer below 2^53; sorting it sorts by hash.
      packed[k++] = hash32(`${name}#${v}`) * 65_536 + target.index
    }
  }
  packed.sort()
  const points = new Uint32Array(packed.length)
  const owners = new Uint32Array(packed.length)
  for (let i = 0; i < packed.length; i++) {
    const value = packed[i]!
    points[i] = Math.floor(value / 65_536)
    owners[i] = value % 65_536
  }
  return { points, owners }
}

/**
 * Picks the target owning the first ring point at or after hash(key); when that target is ineligible, walks
 * on to the next eligible one (each distinct target is asked once). Without a key it falls back to
 * round-robin rather than sending every keyless request to one target.
 */
export class HashBalancer implements Balancer {
  #ring: HashRing | undefined
  #ringOf: readonly UpstreamTarget[] | undefined
  #seen = new Uint32Array(0)
  #epoch = 0
  readonly #fallback = new RoundRobinBalancer()

  pick(
    targets: readonly UpstreamTarget[],
    eligible: (target: UpstreamTarget) => boolean,
    hashKey: string | undefined,
  ): UpstreamTarget | undefined {
    const n = targets.length
    if (n === 1) return eligible(targets[0]!) ? targets[0] : undefined
    if (hashKey === undefined) return this.#fallback.pick(targets, eligible)
    if (this.#ringOf !== targets) this.reset(targets)
    const { points, owners } = this.#ring!
    const h = hash32(hashKey)
    let lo = 0
    let hi = points.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (points[mid]! < h) lo = mid + 1
      else hi = mid
    }
    if (++this.#epoch === 0xffff_ffff) {
      this.#seen.fill(0)
      this.#epoch = 1
    }
    const seen = this.#seen
    const epoch = this.#epoch
    let asked = 0
    for (let step = 0, pos = lo; step < points.length; step++, pos++) {
      if (pos === points.length) pos = 0
      const owner = owners[pos]!
      if (seen[owner] === epoch) continue
      seen[owner] = epoch
      const target = targets[owner]!
      if (eligible(target)) return target
      if (++asked === n) return undefined
    }
    return undefined
  }

  reset(targets: readonly UpstreamTarget[]): void {
    this.#ring = buildHashRing(targets)
    this.#ringOf = targets
    this.#seen = new Uint32Array(targets.length)
    this.#epoch = 0
    this.#fallback.reset(targets)
  }
}
