// The operating fields on the APIGateway constructor's options (admin listener, publicStatus, drain), typed from schema.ts.
import type { z } from 'zod'
import type { opsGatewaySchema } from './schema.js'

declare module '../options.js' {
  interface GatewayOptions extends z.input<typeof opsGatewaySchema> {}
}
