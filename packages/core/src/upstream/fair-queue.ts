// Per-upstream waiting room: weighted deficit round-robin across callers by cost, bounded, with per-caller stats.

/** What the queue needs to know about a waiting request. */
export interface QueueEntry {
  readonly callerId: string
  /** Budget units the request takes (≥ 0). */
  readonly cost: number
  /** Relative share of the caller (> 0); the caller's latest weight wins. */
  readonly weight: number
  /** Epoch ms when it joined the queue. */
  readonly enqueuedAt: number
}

export interface FairQueueOptions {
  /** Most requests waiting in this queue at once. Default 1 000. */
  maxQueueLength: number
  /** A caller with nothing queued and no activity for this long drops out of the share. Default 30 000 ms. */
  idleMs: number
  /** Deficit round-robin across callers (true) or one FIFO (false). Default true. */
  fairShare: boolean
}

export const defaultFairQueueOptions: FairQueueOptions = { maxQueueLength: 1_000, idleMs: 30_000, fairShare: true }

/** Per-caller figures for status pages and metrics. */
export interface CallerStats {
  callerId: string
  weight: number
  /** weight / Σ weights of active callers (0..1). */
  share: number
  queued: number
  served: number
  waitP50Ms: number
  waitP99Ms: number
}

const SAMPLES = 128

interface CallerState<T> {
  readonly id: string
  weight: number
  readonly queue: T[]
  queuedCost: number
  deficit: number
  /** Whether this caller's current round-robin visit already got its quantum. */
  visiting: boolean
  served: number
  lastActiveAt: number
  readonly waits: Float64Array
  waitCount: number
}

/**
 * Weighted deficit round-robin: each visit gives a caller `weight` units of credit and serves its requests while
 * their cost fits, so a caller with 1 000 requests waiting cannot starve one with 1. Pure data: time comes in as
 * arguments, and the owner decides when an entry may actually go (the budget).
 * @example
 * const queue = new FairQueue<QueueEntry>()
 * queue.push({ callerId: 'a', cost: 1, weight: 1, enqueuedAt: now })
 * const next = queue.next()
 */
export class FairQueue<T extends QueueEntry> {
  readonly options: FairQueueOptions
  readonly #callers = new Map<string, CallerState<T>>()
  /** Callers with something queued, in round-robin order. */
  readonly #ring: CallerState<T>[] = []
  #cursor = 0
  #length = 0
  #queuedCost = 0
  /** FIFO order for fairShare: false. */
  readonly #sequence = new WeakMap<T, number>()
  #nextSequence = 0

  constructor(options: Partial<FairQueueOptions> = {}) {
    this.options = { ...defaultFairQueueOptions, ...options }
  }

  /** Requests waiting. */
  get length(): number {
    return this.#length
  }

  /** Sum of the costs waiting. */
  get queuedCost(): number {
    return this.#queuedCost
  }

  /** Whether another request fits. */
  get full(): boolean {
    return this.#length >= this.options.maxQueueLength
  }

  /** Adds a request at the end of its caller's queue; false when the queue is full. */
  push(entry: T): boolean {
    if (this.full) return false
    const caller = this.#caller(entry.callerId, entry.weight, entry.enqueuedAt)
    caller.queue.push(entry)
    caller.queuedCost += entry.cost
    if (caller.queue.length === 1) this.#ring.push(caller)
    this.#sequence.set(entry, this.#nextSequence++)
    this.#length++
    this.#queuedCost += entry.cost
    return true
  }

  /** Removes and returns the request to serve next, or undefined when none waits. */
  next(): T | undefined {
    if (this.#ring.length === 0) return undefined
    if (!this.options.fairShare) return this.#nextFifo()
    // Each pass over the ring adds credit, so this ends; the bound only guards against a weight near zero.
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (this.#cursor >= this.#ring.length) this.#cursor = 0
      const caller = this.#ring[this.#cursor] as CallerState<T>
      if (!caller.visiting) {
        caller.deficit += caller.weight
        caller.visiting = true
      }
      const head = caller.queue[0] as T
      if (head.cost <= caller.deficit) {
        caller.deficit -= head.cost
        this.#take(caller, 0)
        return head
      }
      caller.visiting = false
      this.#cursor++
    }
    return this.#nextFifo()
  }

  /** Removes a waiting request (its client went away or it timed out); false when it was not queued. */
  remove(entry: T): boolean {
    const caller = this.#callers.get(entry.callerId)
    const index = caller ? caller.queue.indexOf(entry) : -1
    if (!caller || index < 0) return false
    this.#take(caller, index)
    return true
  }

  /** Requests `callerId` has waiting. */
  queuedOf(callerId: string): number {
    return this.#callers.get(callerId)?.queue.length ?? 0
  }

  /** Records that a request of `callerId` was sent after waiting `waitMs`. */
  recordServed(callerId: string, waitMs: number, now: number): void {
    const caller = this.#callers.get(callerId)
    if (!caller) return
    caller.served++
    caller.lastActiveAt = now
    caller.waits[caller.waitCount++ % SAMPLES] = waitMs
  }

  /**
   * Budget units that will be served before a new request of `cost` from `callerId` completes: its own queue,
   * plus what each other caller gets meanwhile under weighted round-robin (at most what that caller has queued).
   */
  unitsAhead(callerId: string, cost: number, weight: number): number {
    const own = this.#callers.get(callerId)
    const need = (own && own.queue.length > 0 ? own.queuedCost : 0) + cost
    if (!this.options.fairShare) return this.#queuedCost + cost
    const w = own && own.queue.length > 0 ? own.weight : weight
    let units = need
    for (const other of this.#ring) if (other !== own) units += Math.min(other.queuedCost, (need * other.weight) / w)
    return units
  }

  /** Units that will be served before an already queued entry is served (including it). */
  unitsAheadOf(entry: T): number {
    const caller = this.#callers.get(entry.callerId)
    const index = caller ? caller.queue.indexOf(entry) : -1
    if (!caller || index < 0) return entry.cost
    if (!this.options.fairShare) {
      const seq = this.#sequence.get(entry) ?? 0
      let units = 0
      for (const other of this.#ring) for (const e of other.queue) if ((this.#sequence.get(e) ?? 0) <= seq) units += e.cost
      return units
    }
    let need = 0
    for (let i = 0; i <= index; i++) need += (caller.queue[i] as T).cost
    let units = need
    for (const other of this.#ring) if (other !== caller) units += Math.min(other.queuedCost, (need * other.weight) / caller.weight)
    return units
  }

  /** A caller's share of the budget (0..1) among active callers, counting it as active. */
  shareOf(callerId: string, weight: number, now: number): number {
    let total = 0
    let own = weight
    for (const caller of this.#callers.values()) {
      if (caller.id === callerId) {
        own = caller.weight
        continue
      }
      if (this.#active(caller, now)) total += caller.weight
    }
    return own / (total + own)
  }

  /** Active callers with their figures; drops callers idle longer than `idleMs`. */
  stats(now: number): CallerStats[] {
    this.sweep(now)
    let total = 0
    for (const caller of this.#callers.values()) total += caller.weight
    const out: CallerStats[] = []
    for (const caller of this.#callers.values()) {
      const waits = Array.from(caller.waits.subarray(0, Math.min(caller.waitCount, SAMPLES))).sort((a, b) => a - b)
      out.push({
        callerId: caller.id,
        weight: caller.weight,
        share: total > 0 ? caller.weight / total : 0,
        queued: caller.queue.length,
        served: caller.served,
        waitP50Ms: percentile(waits, 0.5),
        waitP99Ms: percentile(waits, 0.99),
      })
    }
    return out
  }

  /** Forgets callers with nothing queued and no activity for `idleMs`. */
  sweep(now: number): void {
    for (const [id, caller] of this.#callers) if (!this.#active(caller, now)) this.#callers.delete(id)
  }

  /** Removes every waiting entry and returns them (for close()). */
  drain(): T[] {
    const all: T[] = []
    for (const caller of this.#ring) all.push(...caller.queue)
    for (const entry of all) this.remove(entry)
    return all
  }

  #active(caller: CallerState<T>, now: number): boolean {
    return caller.queue.length > 0 || now - caller.lastActiveAt < this.options.idleMs
  }

  #caller(id: string, weight: number, now: number): CallerState<T> {
    let caller = this.#callers.get(id)
    if (!caller) {
      if (this.#callers.size > 4 * this.options.maxQueueLength) this.sweep(now)
      caller = {
        id,
        weight,
        queue: [],
        queuedCost: 0,
        deficit: 0,
        visiting: false,
        served: 0,
        lastActiveAt: now,
        waits: new Float64Array(SAMPLES),
        waitCount: 0,
      }
      this.#callers.set(id, caller)
    }
    caller.weight = weight > 0 ? weight : caller.weight
    caller.lastActiveAt = now
    return caller
  }

  #take(caller: CallerState<T>, index: number): void {
    const [entry] = caller.queue.splice(index, 1) as [T]
    caller.queuedCost -= entry.cost
    this.#length--
    this.#queuedCost -= entry.cost
    if (caller.queue.length === 0) {
      // An emptied caller leaves the ring and loses its credit, as DRR prescribes.
      caller.deficit = 0
      caller.visiting = false
      caller.queuedCost = 0
      const at = this.#ring.indexOf(caller)
      this.#ring.splice(at, 1)
      if (at < this.#cursor) this.#cursor--
    }
  }

  #nextFifo(): T | undefined {
    let best: CallerState<T> | undefined
    let bestSeq = Number.POSITIVE_INFINITY
    for (const caller of this.#ring) {
      const seq = this.#sequence.get(caller.queue[0] as T) ?? 0
      if (seq < bestSeq) {
        bestSeq = seq
        best = caller
      }
    }
    if (!best) return undefined
    const head = best.queue[0] as T
    this.#take(best, 0)
    return head
  }
}

const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0
}
