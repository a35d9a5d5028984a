// The shared readers every operation's inputs are made of. Each returns
// undefined for an input left empty, so callers spell their defaults and
// requirements where they are used; each failure names the input.

import * as core from '@actions/core'
import {
  InvalidReferenceError,
  validateDigest,
  validateRepository,
  validateTag,
  type RegistryAddress
} from '../registry/reference.js'
import type { Platform } from '../registry/types.js'
import type { Target } from '../inputs.js'

/** An input that is missing or malformed; `input` is its name as written in a workflow. */
export class InputError extends Error {
  override name = 'InputError'
  readonly input: string

  constructor(input: string, problem: string) {
    super(`Input '${input}': ${problem}`)
    this.input = input
  }
}

export function readRepository(registry: RegistryAddress, operation: string): string {
  const repository =
    text('repository') ??
    fail('repository', `is required for ${operation}: a name such as team/app`)
  return checkRepository(repository, registry)
}

export function checkRepository(repository: string, registry: RegistryAddress): string {
  return parse('repository', () => validateRepository(repository, registry.host))
}

/** Reads the one tag or digest an operation acts on; neither means the repository itself. */
export function readTarget(repository: string, operation: string): Target {
  const tags = readTags()
  if (tags.length > 1) {
    fail('tag', `${operation} acts on one tag, got ${tags.length}: ${tags.join(', ')}`)
  }
  const tag = tags[0]
  const digestText = text('digest')
  if (tag !== undefined && digestText !== undefined) {
    fail('digest', 'cannot be combined with tag: give a tag or a digest, not both')
  }
  if (tag !== undefined) return { kind: 'tag', repository, tag }
  if (digestText !== undefined) {
    return { kind: 'digest', repository, digest: parse('digest', () => validateDigest(digestText)) }
  }
  return { kind: 'repository', repository }
}

export function readTags(): string[] {
  return unique(list('tag', LINES_OR_COMMAS).map(tag => parse('tag', () => validateTag(tag))))
}

export function isTag(value: string): boolean {
  try {
    validateTag(value)
    return true
  } catch {
    return false
  }
}

export function readPlatform(): Platform {
  const value = text('platform') ?? 'linux/amd64'
  const [os, architecture, variant, ...rest] = value.split('/')
  const part = /^[a-z0-9._-]+$/
  if (
    os === undefined ||
    architecture === undefined ||
    rest.length > 0 ||
    ![os, architecture, ...(variant === undefined ? [] : [variant])].every(p => part.test(p))
  ) {
    fail(
      'platform',
      `${quote(value)} is not a platform: os/arch[/variant] in lowercase, as in linux/arm64/v8`
    )
  }
  return { os, architecture, ...(variant === undefined ? {} : { variant }) }
}

export const LINES = /\r?\n/
// Tags, lock attributes and tag globs cannot contain commas, so commas may separate them too.
export const LINES_OR_COMMAS = /[\r\n,]/

export function text(name: string): string | undefined {
  const value = core.getInput(name)
  return value === '' ? undefined : value
}

/** Like text, and masks the value in the log before anything else can print it. */
export function secret(name: string): string | undefined {
  const value = text(name)
  if (value !== undefined) core.setSecret(value)
  return value
}

export function env(name: string): string | undefined {
  const value = process.env[name]?.trim()
  return value === '' ? undefined : value
}

export function list(name: string, separator: RegExp): string[] {
  return (text(name) ?? '')
    .split(separator)
    .map(entry => entry.trim())
    .filter(entry => entry !== '')
}

export function choice<const T extends string>(name: string, choices: readonly T[]): T | undefined {
  const value = text(name)
  if (value === undefined) return undefined
  return (
    choices.find(option => option.toLowerCase() === value.toLowerCase()) ??
    fail(name, `${quote(value)} is not one of ${choices.join(', ')}`)
  )
}

export function boolean(name: string, fallback: boolean): boolean {
  const value = text(name)
  if (value === undefined) return fallback
  const lower = value.toLowerCase()
  if (lower !== 'true' && lower !== 'false') fail(name, `${quote(value)} is not true or false`)
  return lower === 'true'
}

export function wholeNumber(
  name: string,
  range: { min: number; max?: number }
): number | undefined {
  const value = text(name)
  if (value === undefined) return undefined
  const number = /^\d+$/.test(value) ? Number(value) : NaN
  const { min, max = Number.MAX_SAFE_INTEGER } = range
  if (!(number >= min && number <= max)) {
    const accepted =
      max === Number.MAX_SAFE_INTEGER
        ? `a whole number, ${min} or more`
        : `a whole number from ${min} to ${max}`
    fail(name, `${quote(value)} is not ${accepted}`)
  }
  return number
}

/** Runs a validator from registry/reference.ts, naming the input when it refuses. */
export function parse<T>(name: string, validate: () => T): T {
  try {
    return validate()
  } catch (error) {
    if (error instanceof InvalidReferenceError) throw new InputError(name, error.message)
    throw error
  }
}

export function unique<T>(values: T[]): T[] {
  return [...new Set(values)]
}

export function quote(value: string): string {
  return JSON.stringify(value)
}

export function fail(input: string, problem: string): never {
  throw new InputError(input, problem)
}
