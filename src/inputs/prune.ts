// The inputs of prune: which repositories, which images may go, and what
// always stays. Checked in full before any request: a typo here must never
// turn into a deletion.

import type { CommonInputs } from '../inputs.js'
import { compileRepositoryGlob, compileTagGlob } from '../registry/reference.js'
import {
  boolean,
  checkRepository,
  choice,
  fail,
  isTag,
  list,
  LINES_OR_COMMAS,
  parse,
  quote,
  secret,
  text,
  wholeNumber
} from './parsers.js'

/** A literal repository, or a glob matched against the catalog. */
export type RepositorySelector =
  { kind: 'name'; name: string } | { kind: 'glob'; glob: string; regex: RegExp }

/** A pattern as the user wrote it, and its anchored compiled form. */
export interface CompiledPattern {
  source: string
  regex: RegExp
}

export interface PruneInputs extends CommonInputs {
  operation: 'prune'
  repositories: RepositorySelector
  /** Keep this many newest images per repository; 0 only when allow-delete-all was given. */
  keepCount: number
  /** Only images older than this (milliseconds) may go. */
  olderThanMs?: number
  /** Only images with a tag matching this may go. */
  tagPattern?: CompiledPattern
  /** Images carrying a tag matching any of these are never deleted. */
  excludeTags: CompiledPattern[]
  /** allow: untagged images may go; keep: they stay; only: only they may go. */
  untagged: 'allow' | 'keep' | 'only'
  includeLocked: boolean
  dryRun: boolean
  maxDeletions: number
  /** This job handles only the repositories whose name hashes to shard `index` of `count`. */
  shard?: { index: number; count: number }
  /**
   * Tags made from `template` (`{number}` → an open pull request's number, `*` any run of
   * tag characters, the rest literal, the whole tag) are protected.
   */
  protectPrTags?: { template: string; githubToken: string }
}

export function readPrune(common: CommonInputs): PruneInputs {
  const repositoryText =
    text('repository') ??
    fail(
      'repository',
      'is required for prune: a repository name or glob such as team/app, team/* or **'
    )
  const repositories: RepositorySelector = repositoryText.includes('*')
    ? {
        kind: 'glob',
        glob: repositoryText,
        regex: parse('repository', () => compileRepositoryGlob(repositoryText))
      }
    : { kind: 'name', name: checkRepository(repositoryText, common.registry) }

  const keepCount =
    wholeNumber('keep-count', { min: 0 }) ??
    fail(
      'keep-count',
      'is required for prune: how many of the newest images to keep, a whole number'
    )
  if (keepCount === 0 && !boolean('allow-delete-all', false)) {
    fail(
      'keep-count',
      '0 deletes every image: set allow-delete-all: true to confirm, or keep at least 1'
    )
  }
  const olderThan = text('older-than')
  const tagPattern = text('tag-pattern')
  const shard = text('shard')
  const template = text('protect-pr-tags')
  return {
    operation: 'prune',
    ...common,
    repositories,
    keepCount,
    ...(olderThan === undefined ? {} : { olderThanMs: duration('older-than', olderThan) }),
    ...(tagPattern === undefined ? {} : { tagPattern: anchoredRegex('tag-pattern', tagPattern) }),
    excludeTags: list('exclude-tags', LINES_OR_COMMAS).map(glob => ({
      source: glob,
      regex: parse('exclude-tags', () => compileTagGlob(glob))
    })),
    untagged: readUntagged(),
    includeLocked: boolean('include-locked', false),
    dryRun: boolean('dry-run', false),
    maxDeletions: wholeNumber('max-deletions', { min: 1 }) ?? 1000,
    ...(shard === undefined ? {} : { shard: parseShard(shard) }),
    ...(template === undefined ? {} : { protectPrTags: readProtectPrTags(template) })
  }
}

const DURATION_UNITS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000
}
const HUNDRED_YEARS_MS = 36_525 * 86_400_000

function duration(name: string, value: string): number {
  const match = /^(\d+)([mhdw])$/.exec(value)
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? NaN) : NaN
  if (!(ms > 0 && ms <= HUNDRED_YEARS_MS)) {
    fail(
      name,
      `${quote(value)} is not a duration: a positive whole number with m, h, d or w ` +
        '(90m, 12h, 30d, 2w), at most 100 years'
    )
  }
  return ms
}

function anchoredRegex(name: string, pattern: string): CompiledPattern {
  try {
    return { source: pattern, regex: new RegExp(`^(?:${pattern})$`) }
  } catch (error) {
    return fail(name, `${quote(pattern)} is not a regular expression: ${(error as Error).message}`)
  }
}

function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || !(count >= 1 && index < count)) {
    fail('shard', `${quote(value)} is not a shard: i/n with 0 ≤ i < n, as in 0/4`)
  }
  return { index, count }
}

function readProtectPrTags(template: string): { template: string; githubToken: string } {
  if (!template.includes('{number}')) {
    fail(
      'protect-pr-tags',
      `${quote(template)} has no {number}: give a tag template such as pr-{number}`
    )
  }
  if (!isTag(template.replaceAll('{number}', '1').replaceAll('*', 'x'))) {
    fail(
      'protect-pr-tags',
      `${quote(template)} does not make tags: around {number} use letters, digits, _, ., - and * (any run of them)`
    )
  }
  const githubToken =
    secret('github-token') ??
    fail('github-token', 'is required with protect-pr-tags, to list open pull requests')
  return { template, githubToken }
}

function readUntagged(): PruneInputs['untagged'] {
  const value = choice('untagged', ['true', 'false', 'only'] as const) ?? 'true'
  return value === 'true' ? 'allow' : value === 'false' ? 'keep' : 'only'
}
