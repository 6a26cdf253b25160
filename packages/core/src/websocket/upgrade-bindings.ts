// The raw socket behind an upgrade request, handed to the Hono app as its env alongside the IncomingMessage.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Context } from 'hono'

export interface UpgradeBinding {
  socket: Socket
  /** Bytes the client sent after its request head (already part of the upgraded protocol). */
  head: Buffer
  /** Set once a tunnel owns the socket: the answer the pipeline returns is then not written. */
  tunneled: boolean
}

/** The env an upgrade request runs the app with (`incoming` as @hono/node-server passes it). */
export interface UpgradeEnv {
  incoming: IncomingMessage
  upgrade: UpgradeBinding
}

/** The upgrade binding, or undefined for an ordinary request. */
export const upgradeOf = (c: Context): UpgradeBinding | undefined => (c.env as Partial<UpgradeEnv> | undefined)?.upgrade
