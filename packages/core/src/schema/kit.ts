// Field builders for option schemas: each carries its expected form, so a config error can name it.
import { z } from 'zod'

export { z }

/** Every issue of a schema built with this reads as `<path> must be <text>`. */
const expect = (text: string) => ({ error: () => text })

/** An integer in [min, max]. */
export const integer = (min: number, max: number = Number.MAX_SAFE_INTEGER) => {
  const text =
    max !== Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`
  return z.number(expect(text)).int(expect(text)).min(min, expect(text)).max(max, expect(text))
}

/** A finite number in [min, max]. */
export const number = (min: number, max: number = Number.MAX_VALUE) => {
  const text = max === Number.MAX_VALUE ? `a number ≥ ${min}` : `a number from ${min} to ${max}`
  return z.number(expect(text)).min(min, expect(text)).max(max, expect(text))
}

/** A finite number above 0. */
export const positive = () => z.number(expect('a positive number')).positive(expect('a positive number'))

/** true or false (a string such as "true" is refused: it would silently mean something else). */
export const boolean = () => z.boolean(expect('true or false'))

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** An HTTP header name (RFC 9110 token). */
export const headerName = () =>
  z.string(expect('a header name such as "x-tenant-id"')).regex(TOKEN, expect('a header name such as "x-tenant-id"'))

/** A non-empty string. */
export const text = (what = 'a non-empty string') => z.string(expect(what)).min(1, expect(what))

/** One of the given string values. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expect(`one of ${values.map((v) => `'${v}'`).join(', ')}`))

/** An http(s) URL with a host. */
export const httpURL = (what = 'an http:// or https:// URL') =>
  z.string(expect(what)).refine((value) => {
    try {
      const url = new URL(value)
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
    } catch {
      return false
    }
  }, expect(what))

/** A value the schema cannot describe in JSON (a function, an instance), checked by `is`. */
export const instance = <T>(what: string, is: (value: unknown) => boolean) => z.custom<T>(is, expect(what))

/** A function. */
export const fn = <T>(what = 'a function') => instance<T>(what, (value) => typeof value === 'function')

/** An object with the given methods (a logger, a clock, a store). */
export const withMethods = <T>(what: string, methods: readonly string[]) =>
  instance<T>(
    what,
    (value) =>
      typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function'),
  )

/** A check written for one object's fields; it runs on any object that keeps those fields. */
// biome-ignore lint/suspicious/noExplicitAny: the check reads only the fields its own schema declares
type FieldsCheck = z.core.$ZodCheck<any>

/** The cross-field checks of object schemas, to apply to an object composed from them. */
export const checksOf = (...parts: z.ZodObject[]): FieldsCheck[] => parts.flatMap((part) => (part._zod.def.checks ?? []) as FieldsCheck[])

/** `schema`'s fields plus `shape`, strict, keeping `schema`'s cross-field checks (zod's extend refuses refined objects). */
export const extendStrict = <S extends z.ZodObject, E extends z.ZodRawShape>(schema: S, shape: E) =>
  z.strictObject({ ...(schema.shape as S['shape']), ...shape }).check(...checksOf(schema))
