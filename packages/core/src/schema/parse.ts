// Parses options against their schema; every problem becomes one ConfigError that names the field and its form.
import type { z } from 'zod'
import { ConfigError } from '../errors.js'
import { suggestName } from './suggest.js'

type Issue = z.core.$ZodIssue
type AnySchema = z.core.$ZodType

/** One problem: the field as the user wrote it and what is wrong with it. */
export interface ConfigProblem {
  path: string
  message: string
}

/** A value as a config error shows it: JSON when possible. */
export const describeValue = (value: unknown): string => {
  if (typeof value === 'function') return 'a function'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** A plain object (not null, not an array). */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** `routes` + [0, 'rateLimit'] → `routes[0].rateLimit`. */
export const joinPath = (base: string, segments: readonly PropertyKey[]): string =>
  segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`
    const name = String(segment)
    if (!IDENTIFIER.test(name)) return `${path}[${JSON.stringify(name)}]`
    return path ? `${path}.${name}` : name
  }, base)

/** The form a value was expected to have, for issues whose schema did not name one. */
const expectedForm = (issue: Issue): string => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`
    case 'invalid_value':
      return issue.values.length === 1 ? describeValue(issue.values[0]) : `one of ${issue.values.map(describeValue).join(', ')}`
    case 'too_small':
      return issue.origin === 'array' ? `a list of at least ${String(issue.minimum)}` : `at least ${String(issue.minimum)}`
    case 'too_big':
      return issue.origin === 'array' ? `a list of at most ${String(issue.maximum)}` : `at most ${String(issue.maximum)}`
    case 'invalid_union':
      return '' // problemsOf names the branches' forms
    default:
      return issue.message
  }
}

/** Known field names of the object schema at `path` (several for a union of objects). */
const knownKeysAt = (schema: AnySchema, path: readonly PropertyKey[]): string[] => {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string }
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return knownKeysAt(def.innerType as AnySchema, path)
    case 'pipe':
      return knownKeysAt(def.in as AnySchema, path)
    case 'union':
      return [...new Set((def.options as AnySchema[]).flatMap((option) => knownKeysAt(option, path)))]
    case 'array':
      return path.length > 0 ? knownKeysAt(def.element as AnySchema, path.slice(1)) : []
    case 'record':
      return path.length > 0 ? knownKeysAt(def.valueType as AnySchema, path.slice(1)) : []
    case 'object': {
      const shape = def.shape as Record<string, AnySchema>
      if (path.length === 0) return Object.keys(shape)
      const next = shape[String(path[0])]
      return next ? knownKeysAt(next, path.slice(1)) : []
    }
    default:
      return []
  }
}

/** A union's failed branches, with nested unions (a union inside a union, at the same field) opened up. */
const branchesOf = (issue: Issue & { code: 'invalid_union' }): Issue[][] =>
  issue.errors.flatMap((branch) => {
    const only = branch[0]
    return branch.length === 1 && only?.code === 'invalid_union' && only.path.length === 0 && only.errors.length > 0
      ? branchesOf(only)
      : [branch]
  })

/** Of a union's failed branches, the one that got furthest: its issues name a field, not the value's type. */
const likeliestBranch = (branches: readonly Issue[][]): Issue[] => {
  const depth = (issues: readonly Issue[]) =>
    Math.max(...issues.map((i) => ((i.code === 'invalid_type' || i.code === 'invalid_value') && i.path.length === 0 ? -1 : i.path.length)))
  // Equally deep: the branch with fewer problems is the one the user meant ({ sentinels } missing only its name).
  return [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? []
}

const problemsOf = (issue: Issue, root: AnySchema, base: string, prefix: readonly PropertyKey[]): ConfigProblem[] => {
  const segments = [...prefix, ...issue.path]
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branch = likeliestBranch(branchesOf(issue))
    if (branch.some((i) => i.path.length > 0)) return branch.flatMap((inner) => problemsOf(inner, root, base, segments))
    // Every branch refused the value itself: the union's own form when it names one, else each branch's.
    const forms = issue.message
      ? [issue.message]
      : [...new Set(issue.errors.map((errors) => errors[0]!.message || expectedForm(errors[0]!)))]
    const form = forms.join(' or ')
    const message = issue.input === undefined ? `is required: ${form}` : `must be ${form}, got ${describeValue(issue.input)}`
    return [{ path: joinPath(base, segments), message }]
  }
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(root, segments)
    return issue.keys.map((key) => {
      const suggestion = suggestName(key, known)
      const hint = suggestion ? `did you mean ${suggestion}?` : `known: ${known.join(', ')}`
      return { path: joinPath(base, [...segments, key]), message: `is not a known option (${hint})` }
    })
  }
  const required = 'input' in issue && issue.input === undefined && !issue.message.startsWith('!')
  if (required) return [{ path: joinPath(base, segments), message: `is required: ${issue.message}` }]
  const got = 'input' in issue ? `, got ${describeValue(issue.input)}` : ''
  const message = issue.code === 'custom' && issue.message.startsWith('!') ? issue.message.slice(1) : `must be ${issue.message}${got}`
  return [{ path: joinPath(base, segments), message }]
}

/**
 * Every problem of `value` against `schema`, each naming its field under `base` (`options`, `routes[2]`).
 * Custom refinements whose message starts with "!" are shown as they are ("!needs options.cacheTtl").
 */
export const configProblems = (schema: AnySchema, value: unknown, base: string): ConfigProblem[] => {
  const result = (schema as z.ZodType).safeParse(value, { reportInput: true, error: (issue) => expectedForm(issue as Issue) })
  return result.success ? [] : result.error.issues.flatMap((issue) => problemsOf(issue as Issue, schema, base, []))
}

/** `routes[0].timeoutMs must be …` — or the field-less message as is. */
export const formatProblem = ({ path, message }: ConfigProblem): string => (path ? `${path} ${message}` : message)

/**
 * Parses `value` with `schema`, or throws one ConfigError listing every problem (its `path` is the first one's).
 * @example
 * const options = parseOptions(routeOptionsSchema, input, 'options') // throws ConfigError: options.requireAuht is not a known option (did you mean requireAuth?)
 */
export const parseOptions = <S extends z.ZodType>(schema: S, value: unknown, base: string): z.output<S> => {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const problems = configProblems(schema, value, base)
  const first = problems[0] ?? { path: base, message: 'is invalid' }
  throw new ConfigError(problems.map(formatProblem).join('; '), { path: first.path })
}
