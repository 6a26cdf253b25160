// The observability fields on the APIGateway constructor's options, typed from schema.ts.
import type { z } from 'zod'
import type { observabilityGatewaySchema } from './schema.js'

declare module '../options.js' {
  interface GatewayOptions extends z.input<typeof observabilityGatewaySchema> {}
}
