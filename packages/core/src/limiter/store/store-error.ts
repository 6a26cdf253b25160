// The error a store raises when its backend fails (Redis down, timeout): never a rate limit verdict.

/** A store fault. `cause` holds the backend's error; callers decide what to do through `onStoreFailure`. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** The two log calls stores make (consola and console both fit). */
export interface StoreLogger {
  warn(message: string): void
  info(message: string): void
}
