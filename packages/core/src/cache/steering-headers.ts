// Request headers that steer origins (scheme, host, URL, method, client address) without appearing in Vary.
import type { HeaderReader } from '../proxy/request-header.js'
import { isClientIdentityHeader } from '../proxy/headers.js'

/**
 * Known origin-steering headers (frameworks and CDNs read them to build absolute links, pick a scheme, rewrite
 * the URL or override the method). An upstream rarely names them in Vary, so a cached answer they changed would
 * be served to everyone: on cached routes they are stripped before forwarding unless the route keys on them
 * (`cacheKeyHeaders`). Every `X-Forwarded-*` and client-identity header counts too (see isSteeringHeader).
 */
export const STEERING_HEADERS: ReadonlySet<string> = new Set([
  'x-forwarded-scheme',
  'x-forwarded-server',
  'x-forwarded-ssl',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-original-host',
  'x-http-host-override',
  'x-host',
  'front-end-https',
  'x-url-scheme',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
])

/**
 * Headers the gateway sets itself from the connection and the trusted chain: never stripped here. Their client
 * values are keyed (cache-key.ts), because under trustProxy the gateway derives what it sends from them.
 */
const GATEWAY_DERIVED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'])

/** Whether a lower-case request header name steers origins (and so is stripped on cached routes unless keyed). */
export const isSteeringHeader = (name: string): boolean =>
  STEERING_HEADERS.has(name) || (isClientIdentityHeader(name) && !GATEWAY_DERIVED.has(name))

/** The steering headers present in `headers` that the route does not key on, or undefined when there are none. */
export const unkeyedSteeringHeaders = (headers: HeaderReader, keyHeaders: readonly string[]): string[] | undefined => {
  let found: string[] | undefined
  for (const name of headers.keys()) {
    if (isSteeringHeader(name) && !keyHeaders.includes(name)) (found ??= []).push(name)
  }
  return found
}
