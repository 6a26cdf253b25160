// The drain before stop(): readiness answers 503 for a delay while everything is still served, so load balancers
// take the instance out before its listener closes.
export class Drain {
  #delay: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #end: (() => void) | undefined

  /** True from begin() until reset(): /_health/ready answers 503. */
  get draining(): boolean {
    return this.#delay !== undefined
  }

  /** Starts draining; resolves `delayMs` after the first call (later calls share it). */
  begin(delayMs: number): Promise<void> {
    this.#delay ??= new Promise<void>((resolve) => {
      this.#end = resolve
      // Not unref'd: the delay is part of stop(), which the process is waiting for.
      this.#timer = setTimeout(resolve, delayMs)
    })
    return this.#delay
  }

  /** Ends the delay now (a stop() that asked for none, e.g. on Ctrl-C); still draining. */
  skip(): void {
    clearTimeout(this.#timer)
    this.#end?.()
  }

  /** Serving again (start() after stop()). */
  reset(): void {
    this.skip()
    this.#delay = undefined
    this.#end = undefined
  }
}
