// API keys from code: issue keys, protect a route with requireAuth, revoke one, and see that upstreams never get the key.
// Run it: pnpm exec tsx examples/api-keys/gateway.ts
import { pathToFileURL } from 'node:url'
import { APIGateway } from '@tollgate/core'
import { startMockUpstream } from '@tollgate/core/testing'

export interface APIKeysExampleResult {
  statuses: Record<string, number>
  /** Whether any request that reached the upstream still carried the API key. */
  upstreamSawAKey: boolean
  /** What listApiKeys() shows: ids, names and status, never a secret. */
  listed: Array<{ id: string; name: string; status: string }>
  issuedKeys: string[]
}

export async function main(): Promise<APIKeysExampleResult> {
  const users = await startMockUpstream()
  const gateway = new APIGateway().registerRoute('/api/users', users.url, { requireAuth: true })

  // The plaintext key is shown this once; the gateway stores only its hash.
  const basicKey = await gateway.apiKeyManager.createApiKey('Basic App')
  const premium = await gateway.apiKeyManager.createApiKeyWithId(
    'Premium App',
    { requestsPerMinute: 1000 },
    {
      expiresAt: Date.now() + 86_400_000,
      metadata: { team: 'growth' },
    },
  )

  const { url } = await gateway.start({ port: 0 })
  try {
    const call = async (headers: Record<string, string> = {}) => (await fetch(`${url}/api/users`, { headers })).status
    const statuses: Record<string, number> = {
      'X-API-Key': await call({ 'X-API-Key': basicKey }), // 200
      'Authorization: Bearer': await call({ Authorization: `Bearer ${premium.key}` }), // 200
      'no key': await call(), // 401 missing_api_key
      'malformed key': await call({ 'X-API-Key': 'tg_not_a_real_key' }), // 401 invalid_api_key, no store lookup
    }
    await gateway.apiKeyManager.revokeApiKey(premium.id)
    statuses['revoked key'] = await call({ Authorization: `Bearer ${premium.key}` }) // 401 invalid_api_key

    const listed = (await gateway.apiKeyManager.listApiKeys()).map(({ id, name, status }) => ({ id, name, status }))
    const upstreamSawAKey = users.received.some((r) => 'x-api-key' in r.headers || 'authorization' in r.headers)
    return { statuses, upstreamSawAKey, listed, issuedKeys: [basicKey, premium.key] }
  } finally {
    await gateway.stop()
    await users.close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { issuedKeys: _secrets, ...printable } = await main()
  console.log(JSON.stringify(printable, null, 2))
}
