// Bench contender: fast-gateway 3.x (restana + fast-proxy-lite) routing the same table as Tollgate.
import gateway from 'fast-gateway'
import type { AddressInfo } from 'node:net'
import { announce, listenHost, upstreamUrlFromEnv } from '../lib/target-runtime.js'
import { BENCH_PREFIX, DECOY_PREFIXES, DECOY_UPSTREAM } from './shared.js'

const upstream = upstreamUrlFromEnv()

const service = gateway({
  routes: [
    // prefixRewrite = prefix keeps the path whole, as Tollgate's default stripPrefix: false does.
    ...DECOY_PREFIXES.map((prefix) => ({ prefix, prefixRewrite: prefix, target: DECOY_UPSTREAM })),
    { prefix: BENCH_PREFIX, prefixRewrite: BENCH_PREFIX, target: upstream },
  ],
})

const server = await service.start(0, listenHost)
server.keepAliveTimeout = 60_000
announce((server.address() as AddressInfo).port, { close: () => service.close() })
