// The JSON Schema of the config file, generated from config-schema.ts: `"$schema": "./tollgate.schema.json"` in a
// config gives editors completion and checks. `pnpm schema` rewrites the file; a test keeps it in step.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { configFileSchema } from './config-schema.js'

export const SCHEMA_FILE = fileURLToPath(new URL('../tollgate.schema.json', import.meta.url))

type JSONSchema = Record<string, unknown>

/** JSON has no comments: every object also accepts "//…" note keys, as the loader drops them. */
const allowNotes = (node: unknown): void => {
  if (Array.isArray(node)) {
    for (const item of node) allowNotes(item)
    return
  }
  if (typeof node !== 'object' || node === null) return
  const schema = node as JSONSchema
  if (schema.type === 'object' && schema.additionalProperties === false) schema.patternProperties = { '^//': {} }
  for (const value of Object.values(schema)) allowNotes(value)
}

/** The config file's JSON Schema (draft 2020-12). */
export const configJSONSchema = (): JSONSchema => {
  const schema = z.toJSONSchema(configFileSchema, { io: 'input', unrepresentable: 'any' }) as JSONSchema
  allowNotes(schema)
  return {
    $schema: schema.$schema,
    $id: 'https://tollgate.dev/tollgate.schema.json',
    title: 'Tollgate gateway config',
    ...schema,
  }
}

export const renderJSONSchema = (): string => `${JSON.stringify(configJSONSchema(), null, 2)}\n`

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, renderJSONSchema())
  console.log(`wrote ${SCHEMA_FILE}`)
}
