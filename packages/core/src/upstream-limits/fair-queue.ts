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
  /**
   * A caller with nothing queued and no activity for this long drops out of the share (the sweep forgets it between
   * idleMs and 2 × idleMs after its last activity). Default 30 000 ms.
   */
  idleMs: number
  /** Deficit round-robin across callers (true) or one FIFO (false). Default true. */
  fairShare: boolean
  /**
   * Most callers tracked at once (for shares and statistics). Past it, the least recently active caller with
   * nothing queued is forgotten; callers with requests queued are always kept. Default 10 000 (at least
   * maxQueueLength + 1).
   */
  maxCallers: number
}

export const defaultFairQueueOptions: FairQueueOptions = { maxQueueLength: 1_000, idleMs: 30_000, fairShare: true, maxCallers: 10_000 }

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
  /** Neighbours in the ring of callers with something queued (a doubly linked list: O(1) to leave it). */
  prev: CallerState<T> | undefined
  next: CallerState<T> | undefined
  inRing: boolean
  served: number
  lastActiveAt: number
  /** When it last took its place at the back of the tracking order (≤ lastActiveAt). */
  placedAt: number
  waits: Float64Array | undefined
  waitCount: number
}

/**
 * Weighted deficit round-robin: each visit gives a caller `weight` units of credit and serves its requests while
 * their cost fits, so a caller with 1 000 requests waiting cannot starve one with 1. Every operation on the hot
 * path is O(1) (amortized) in the number of callers: the ring is a linked list, totals are kept as callers come
 * and go, and idle callers leave from the front of the tracking order. Pure data: time comes in as
 * arguments, and the owner decides when an entry may actually go (the budget).
 * @example
 * const queue = new FairQueue<QueueEntry>()
 * queue.push({ callerId: 'a', cost: 1, weight: 1, enqueuedAt: now })
 * const next = queue.next()
 */
export class FairQueue<T extends QueueEntry> {
  readonly options: FairQueueOptions
  /**
   * Tracked callers in the order they took their place (`placedAt`), oldest first. Activity only stamps
   * `lastActiveAt`; the sweep moves a still-active caller to the back when it reaches the front, so a request never
   * re-inserts into the Map (at most one move per caller per idleMs).
   */
  readonly #callers = new Map<string, CallerState<T>>()
  /** Σ weights of tracked callers. */
  #trackedWeight = 0
  /** The ring of callers with something queued, and the one being visited. */
  #ringHead: CallerState<T> | undefined
  #ringTail: CallerState<T> | undefined
  #ringSize = 0
  #cursor: CallerState<T> | undefined
  /** Σ weights of callers in the ring. */
  #queuedWeight = 0
  #length = 0
  #queuedCost = 0
  /** Arrival order for fairShare: false (entries leave it lazily once taken or removed). */
  readonly #fifo: T[] = []
  #fifoHead = 0
  readonly #owner = new WeakMap<T, CallerState<T>>()

  constructor(options: Partial<FairQueueOptions> = {}) {
    const merged = { ...defaultFairQueueOptions, ...options }
    this.options = { ...merged, maxCallers: Math.max(merged.maxCallers, merged.maxQueueLength + 1) }
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

  /** Callers tracked now (≤ maxCallers). */
  get trackedCallers(): number {
    return this.#callers.size
  }

  /** Adds a request at the end of its caller's queue; false when the queue is full. */
  push(entry: T): boolean {
    if (this.full) return false
    const caller = this.#touch(entry.callerId, entry.weight, entry.enqueuedAt)
    caller.queue.push(entry)
    caller.queuedCost += entry.cost
    this.#owner.set(entry, caller)
    if (!caller.inRing) this.#join(caller)
    if (!this.options.fairShare) this.#fifo.push(entry)
    this.#length++
    this.#queuedCost += entry.cost
    return true
  }

  /** Removes and returns the request to serve next, or undefined when none waits. */
  next(): T | undefined {
    if (this.#ringSize === 0) return undefined
    if (!this.options.fairShare) return this.#nextFifo()
    // Each pass over the ring adds credit, so this ends; the bound only guards against a weight near zero.
    for (let guard = 0; guard < 1_000_000; guard++) {
      const caller = (this.#cursor ?? this.#ringHead) as CallerState<T>
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
      this.#cursor = caller.next ?? this.#ringHead
    }
    const caller = this.#ringHead as CallerState<T>
    const head = caller.queue[0] as T
    this.#take(caller, 0)
    return head
  }

  /** Whether a caller other than `callerId` has something queued. */
  othersQueued(callerId: string): boolean {
    return this.#ringSize > 1 || (this.#ringSize === 1 && this.#ringHead?.id !== callerId)
  }

  /** Removes a waiting request (its client went away or it timed out); false when it was not queued. */
  remove(entry: T): boolean {
    const caller = this.#owner.get(entry)
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
    this.#refresh(caller, now)
    caller.waits ??= new Float64Array(SAMPLES)
    caller.waits[caller.waitCount++ % SAMPLES] = waitMs
  }

  /**
   * Budget units that will be served before a new request of `cost` from `callerId` completes: its own queue, plus
   * what the others get meanwhile under weighted round-robin. O(1): the others' share is bounded by both what they
   * have queued and what their weights earn them, summed over all of them (never less than the per-caller sum).
   */
  unitsAhead(callerId: string, cost: number, weight: number): number {
    if (!this.options.fairShare) return this.#queuedCost + cost
    const found = this.#callers.get(callerId)
    const own = found?.inRing ? found : undefined
    return this.#unitsWith((own?.queuedCost ?? 0) + cost, own, own?.weight ?? weight)
  }

  /** Units that will be served before an already queued entry is served (including it). */
  unitsAheadOf(entry: T): number {
    const caller = this.#owner.get(entry)
    const index = caller ? caller.queue.indexOf(entry) : -1
    if (!caller || index < 0) return entry.cost
    if (!this.options.fairShare) return this.#queuedCost
    let need = 0
    for (let i = 0; i <= index; i++) need += (caller.queue[i] as T).cost
    return this.#unitsWith(need, caller, caller.weight)
  }

  /** A caller's share of the budget (0..1) among active callers, counting it as active. */
  shareOf(callerId: string, weight: number, now: number): number {
    this.sweep(now)
    const caller = this.#callers.get(callerId)
    const own = caller ? caller.weight : weight
    return own / (this.#trackedWeight - (caller ? caller.weight : 0) + own)
  }

  /** Active callers with their figures (sorted by id); drops callers idle longer than `idleMs`. */
  stats(now: number): CallerStats[] {
    this.sweep(now)
    const total = this.#trackedWeight
    const out: CallerStats[] = []
    for (const caller of this.#callers.values()) {
      // The sweep may keep an idle caller up to another idleMs; the figures list only active ones.
      if (!caller.inRing && now - caller.lastActiveAt >= this.options.idleMs) continue
      const waits = caller.waits ? Array.from(caller.waits.subarray(0, Math.min(caller.waitCount, SAMPLES))).sort((a, b) => a - b) : []
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
    return out.sort((a, b) => (a.callerId < b.callerId ? -1 : a.callerId > b.callerId ? 1 : 0))
  }

  /**
   * Forgets callers with nothing queued and no activity for `idleMs`. Amortized O(1): it looks only at the front of
   * the tracking order and stops at a caller placed within `idleMs` (every caller behind it was placed, hence
   * active, later); an active caller found at the front moves to the back.
   */
  sweep(now: number): void {
    for (const caller of this.#callers.values()) {
      if (now - caller.placedAt < this.options.idleMs) return
      if (caller.inRing || now - caller.lastActiveAt < this.options.idleMs) this.#placeAtBack(caller, now)
      else this.#forget(caller)
    }
  }

  /** Removes every waiting entry and returns them (for close()). */
  drain(): T[] {
    const all: T[] = []
    for (let caller = this.#ringHead; caller; caller = caller.next) all.push(...caller.queue)
    for (const entry of all) this.remove(entry)
    return all
  }

  #unitsWith(need: number, own: CallerState<T> | undefined, weight: number): number {
    const othersCost = this.#queuedCost - (own ? own.queuedCost : 0)
    const othersWeight = this.#queuedWeight - (own ? own.weight : 0)
    return need + Math.min(othersCost, (need * othersWeight) / weight)
  }

  /** The caller, tracked and marked active now (created, and the cap enforced, when new). */
  #touch(id: string, weight: number, now: number): CallerState<T> {
    let caller = this.#callers.get(id)
    if (!caller) {
      this.sweep(now)
      this.#evictOverCap(now)
      caller = {
        id,
        weight: weight > 0 ? weight : 1,
        queue: [],
        queuedCost: 0,
        deficit: 0,
        visiting: false,
        prev: undefined,
        next: undefined,
        inRing: false,
        served: 0,
        lastActiveAt: now,
        placedAt: now,
        waits: undefined,
        waitCount: 0,
      }
      this.#callers.set(id, caller)
      this.#trackedWeight += caller.weight
      return caller
    }
    if (weight > 0 && weight !== caller.weight) {
      this.#trackedWeight += weight - caller.weight
      if (caller.inRing) this.#queuedWeight += weight - caller.weight
      caller.weight = weight
    }
    this.#refresh(caller, now)
    return caller
  }

  #refresh(caller: CallerState<T>, now: number): void {
    caller.lastActiveAt = now
  }

  #placeAtBack(caller: CallerState<T>, now: number): void {
    caller.placedAt = now
    this.#callers.delete(caller.id)
    this.#callers.set(caller.id, caller)
  }

  #forget(caller: CallerState<T>): void {
    this.#callers.delete(caller.id)
    this.#trackedWeight -= caller.weight
  }

  /** At the cap, forgets the longest-placed callers with nothing queued (queued ones move to the back). */
  #evictOverCap(now: number): void {
    for (let guard = this.#callers.size; guard > 0 && this.#callers.size >= this.options.maxCallers; guard--) {
      const oldest = this.#callers.values().next().value as CallerState<T>
      if (oldest.inRing) this.#placeAtBack(oldest, now)
      else this.#forget(oldest)
    }
  }

  /** Appends the caller at the end of the ring: it is visited once the round reaches the end. */
  #join(caller: CallerState<T>): void {
    caller.inRing = true
    caller.prev = this.#ringTail
    caller.next = undefined
    if (this.#ringTail) this.#ringTail.next = caller
    else this.#ringHead = caller
    this.#ringTail = caller
    this.#ringSize++
    this.#queuedWeight += caller.weight
  }

  #leave(caller: CallerState<T>): void {
    if (this.#cursor === caller) this.#cursor = caller.next
    if (caller.prev) caller.prev.next = caller.next
    else this.#ringHead = caller.next
    if (caller.next) caller.next.prev = caller.prev
    else this.#ringTail = caller.prev
    caller.prev = undefined
    caller.next = undefined
    caller.inRing = false
    this.#ringSize--
    this.#queuedWeight -= caller.weight
    // An emptied caller loses its credit, as DRR prescribes.
    caller.deficit = 0
    caller.visiting = false
    caller.queuedCost = 0
  }

  #take(caller: CallerState<T>, index: number): void {
    const [entry] = (index === 0 ? [caller.queue.shift()] : caller.queue.splice(index, 1)) as [T]
    this.#owner.delete(entry)
    caller.queuedCost -= entry.cost
    this.#length--
    this.#queuedCost -= entry.cost
    if (caller.queue.length === 0) this.#leave(caller)
  }

  #nextFifo(): T | undefined {
    while (this.#fifoHead < this.#fifo.length) {
      const entry = this.#fifo[this.#fifoHead++] as T
      if (this.#fifoHead > 1_024 && this.#fifoHead * 2 > this.#fifo.length) {
        this.#fifo.splice(0, this.#fifoHead)
        this.#fifoHead = 0
      }
      const caller = this.#owner.get(entry)
      // Taken or removed entries are skipped here; per caller, arrival order is queue order.
      if (caller && caller.queue[0] === entry) {
        this.#take(caller, 0)
        return entry
      }
    }
    return undefined
  }
}

const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0
}
