// Waiting for a store's connection: a call made before (or between) connections waits for it, within its deadline.
import { StoreUnavailableError } from '../../errors.js'
import { withStoreDeadline } from './deadline.js'

/** The slice of a client (ioredis fits) that says whether it is connected and when that changes. */
export interface StoreConnection {
  /** `'ready'` when commands can be sent; `'end'` once closed for good. */
  readonly status: string
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown
  off(event: 'ready' | 'close' | 'end', listener: () => void): unknown
}

/** Whether `client` reports its connection state (an ioredis client does; a test double may not). */
export const isStoreConnection = (client: unknown): client is StoreConnection =>
  typeof client === 'object' &&
  client !== null &&
  typeof (client as StoreConnection).status === 'string' &&
  typeof (client as StoreConnection).on === 'function' &&
  typeof (client as StoreConnection).off === 'function'

/** One waiter per connection, however many calls wait: a burst at startup adds two listeners, not two per call. */
const waiters = new WeakMap<StoreConnection, Promise<void>>()

const nextReady = (connection: StoreConnection, name: string): Promise<void> => {
  let waiter = waiters.get(connection)
  if (!waiter) {
    waiter = new Promise<void>((resolve, reject) => {
      const settle = (finish: () => void) => () => {
        connection.off('ready', onReady)
        connection.off('end', onEnd)
        waiters.delete(connection)
        finish()
      }
      const onReady = settle(resolve)
      const onEnd = settle(() => reject(new StoreUnavailableError(`${name} is closed`)))
      connection.on('ready', onReady)
      connection.on('end', onEnd)
    })
    waiter.catch(() => {}) // each caller handles the rejection it awaits
    waiters.set(connection, waiter)
  }
  return waiter
}

/** Resolves once `connection` is ready; rejects with StoreUnavailableError after `timeoutMs` or when it ends. */
export const untilReady = (connection: StoreConnection, timeoutMs: number, name = 'store'): Promise<void> => {
  if (connection.status === 'ready') return Promise.resolve()
  if (connection.status === 'end') return Promise.reject(new StoreUnavailableError(`${name} is closed`))
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`${name} is not connected (waited ${timeoutMs} ms)`)), timeoutMs)
  })
  return Promise.race([nextReady(connection, name), late]).finally(() => clearTimeout(timer))
}

/**
 * Runs `call` once `connection` is ready, all within `timeoutMs`: a call made while connecting waits for the
 * connection instead of failing, and is never sent after its deadline has passed.
 * @example
 * const record = await callWhenReady(redis, () => redis.hgetall(key), 250, 'key store')
 */
export const callWhenReady = async <T>(
  connection: StoreConnection | undefined,
  call: () => Promise<T>,
  timeoutMs: number,
  name = 'store',
): Promise<T> => {
  // 'wait' is a lazyConnect client that has not been asked to connect: its first command connects it.
  if (!connection || connection.status === 'ready' || connection.status === 'wait') return withStoreDeadline(call(), timeoutMs, name)
  const started = performance.now()
  await untilReady(connection, timeoutMs, name)
  return withStoreDeadline(call(), Math.max(1, timeoutMs - (performance.now() - started)), name)
}
