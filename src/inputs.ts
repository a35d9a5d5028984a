// The action's inputs: the only module that reads them. Everything is validated here,
// before any network request, and comes out as one typed value per operation. Inputs
// that an operation does not use are not read, so they can never fail it.

import {
  compileRepositoryGlob,
  compileTagGlob,
  parseRegistry,
  type RegistryAddress
} from './registry/reference.js'
import type { Platform } from './registry/types.js'
import {
  boolean,
  checkRepository,
  choice,
  env,
  fail,
  isTag,
  list,
  LINES_OR_COMMAS,
  parse,
  quote,
  readPlatform,
  readTarget,
  secret,
  text,
  wholeNumber
} from './inputs/parsers.js'
import {
  readPush,
  readSetManifest,
  type PushInputs,
  type SetManifestInputs
} from './inputs/push.js'
import { readDelete, type DeleteInputs } from './inputs/delete.js'
import { readLock, type LockInputs } from './inputs/lock.js'
import { readPull, type PullInputs } from './inputs/pull.js'

export { InputError } from './inputs/parsers.js'
export type { DeleteInputs } from './inputs/delete.js'
export { LOCK_ATTRIBUTES, type LockAttribute, type LockInputs } from './inputs/lock.js'
export type { PullInputs } from './inputs/pull.js'
export type { PushInputs, SetManifestInputs } from './inputs/push.js'

export const OPERATIONS = [
  'push',
  'pull',
  'set-manifest',
  'lock',
  'unlock',
  'delete',
  'inspect',
  'prune'
] as const
export type Operation = (typeof OPERATIONS)[number]

const CLOUDS = {
  AzureCloud: {
    authorityHost: 'https://login.microsoftonline.com',
    audience: 'https://containerregistry.azure.net/.default'
  },
  AzureChinaCloud: {
    authorityHost: 'https://login.chinacloudapi.cn',
    audience: 'https://containerregistry.azure.cn/.default'
  },
  AzureUSGovernment: {
    authorityHost: 'https://login.microsoftonline.us',
    audience: 'https://containerregistry.azure.us/.default'
  }
} as const
export type Cloud = keyof typeof CLOUDS

export interface OidcAuth {
  mode: 'oidc'
  clientId: string
  tenantId: string
  cloud: Cloud
  /** An https URL without a trailing slash, e.g. https://login.microsoftonline.com. */
  authorityHost: string
  /** The Entra scope requested for ACR. */
  audience: string
  /** The audience of the GitHub ID token. */
  oidcAudience: string
}
export interface PasswordAuth {
  mode: 'password'
  username: string
  password: string
}
export interface AnonymousAuth {
  mode: 'anonymous'
}
export type Auth = OidcAuth | PasswordAuth | AnonymousAuth

export interface CommonInputs {
  registry: RegistryAddress
  auth: Auth
  summary: boolean
  /** Parallel requests per registry, 1 to 64. */
  concurrency: number
}

/** A manifest named by tag or by digest. */
export type ManifestTarget =
  | { kind: 'tag'; repository: string; tag: string }
  | { kind: 'digest'; repository: string; digest: string }
/** lock, unlock and delete act on a tag, a manifest or a whole repository. */
export type Target = ManifestTarget | { kind: 'repository'; repository: string }
/** inspect without a repository lists the catalog. */
export type InspectTarget = Target | { kind: 'catalog' }

export interface InspectInputs extends CommonInputs {
  operation: 'inspect'
  target: InspectTarget
  platform: Platform
}

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
  untagged: boolean
  includeLocked: boolean
  dryRun: boolean
  maxDeletions: number
  /** This job handles only the repositories whose name hashes to shard `index` of `count`. */
  shard?: { index: number; count: number }
  /** Tags made from `template` (`{number}` → an open pull request's number) are protected. */
  protectPrTags?: { template: string; githubToken: string }
}

export type Inputs =
  | PushInputs
  | SetManifestInputs
  | PullInputs
  | LockInputs
  | DeleteInputs
  | InspectInputs
  | PruneInputs

export function readInputs(): Inputs {
  const operation =
    choice('operation', OPERATIONS) ??
    fail('operation', `is required: one of ${OPERATIONS.join(', ')}`)
  const common = readCommon()
  switch (operation) {
    case 'push':
      return readPush(common)
    case 'set-manifest':
      return readSetManifest(common)
    case 'pull':
      return readPull(common)
    case 'lock':
    case 'unlock':
      return readLock(operation, common)
    case 'delete':
      return readDelete(common)
    case 'inspect':
      return readInspect(common)
    case 'prune':
      return readPrune(common)
  }
}

function readCommon(): CommonInputs {
  const registryText =
    text('registry') ??
    fail('registry', 'is required: a login server such as myregistry.azurecr.io')
  const registry = parse('registry', () => parseRegistry(registryText))
  const auth = readAuth()
  if (auth.mode !== 'anonymous' && registry.scheme === 'http' && !registry.loopback) {
    fail(
      'registry',
      `${registry.baseUrl} is plain http to a host that is not loopback, so ${auth.mode} credentials ` +
        'would travel in clear: use https://, or auth: anonymous (http is for localhost, 127.0.0.0/8 and ::1)'
    )
  }
  return {
    registry,
    auth,
    summary: boolean('summary', true),
    concurrency: wholeNumber('concurrency', { min: 1, max: 64 }) ?? 8
  }
}

function readAuth(): Auth {
  const username = text('username')
  const password = secret('password')
  const clientId = text('client-id') ?? env('AZURE_CLIENT_ID')
  const tenantId = text('tenant-id') ?? env('AZURE_TENANT_ID')
  const mode = choice('auth', ['auto', 'oidc', 'password', 'anonymous'] as const) ?? 'auto'

  const resolved =
    mode !== 'auto'
      ? mode
      : username !== undefined || password !== undefined
        ? 'password'
        : clientId !== undefined || tenantId !== undefined
          ? 'oidc'
          : 'anonymous'

  switch (resolved) {
    case 'anonymous':
      return { mode: 'anonymous' }
    case 'password':
      return {
        mode: 'password',
        username: username ?? fail('username', 'is required for password sign-in (with password)'),
        password:
          password ??
          fail(
            'password',
            'is required for password sign-in (with username); a secret this run cannot see, ' +
              'as in a pull request from a fork, reads as empty'
          )
      }
    case 'oidc':
      return readOidc(clientId, tenantId)
  }
}

function readOidc(clientId: string | undefined, tenantId: string | undefined): OidcAuth {
  const client =
    clientId ??
    fail(
      'client-id',
      'is required for OIDC sign-in: the application (client) id, or set AZURE_CLIENT_ID'
    )
  const tenant =
    tenantId ??
    fail(
      'tenant-id',
      'is required for OIDC sign-in: the directory (tenant) id, or set AZURE_TENANT_ID'
    )
  if (/\s/.test(client)) fail('client-id', `${quote(client)} is not a client id: a GUID`)
  // The tenant goes into the authority URL's path.
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenant)) {
    fail(
      'tenant-id',
      `${quote(tenant)} is not a tenant id: a GUID or a domain such as contoso.onmicrosoft.com`
    )
  }
  const cloud = choice('cloud', Object.keys(CLOUDS) as Cloud[]) ?? 'AzureCloud'
  const authorityText = text('authority-host') ?? env('AZURE_AUTHORITY_HOST')
  return {
    mode: 'oidc',
    clientId: client,
    tenantId: tenant,
    cloud,
    authorityHost:
      authorityText === undefined ? CLOUDS[cloud].authorityHost : authorityUrl(authorityText),
    audience: text('audience') ?? CLOUDS[cloud].audience,
    oidcAudience: text('oidc-audience') ?? 'api://AzureADTokenExchange'
  }
}

function authorityUrl(value: string): string {
  const address = parse('authority-host', () => parseRegistry(value))
  if (address.scheme !== 'https') {
    fail('authority-host', `${quote(value)} must be https, as in https://login.microsoftonline.com`)
  }
  return address.baseUrl
}

function readInspect(common: CommonInputs): InspectInputs {
  const repositoryText = text('repository')
  let target: InspectTarget
  if (repositoryText === undefined) {
    if (text('tag') !== undefined || text('digest') !== undefined) {
      fail('repository', 'is required with tag or digest: the repository they belong to')
    }
    target = { kind: 'catalog' }
  } else {
    target = readTarget(checkRepository(repositoryText, common.registry), 'inspect')
  }
  return { operation: 'inspect', ...common, target, platform: readPlatform() }
}

function readPrune(common: CommonInputs): PruneInputs {
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
    untagged: boolean('untagged', true),
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
  if (!isTag(template.replaceAll('{number}', '1'))) {
    fail(
      'protect-pr-tags',
      `${quote(template)} does not make tags: around {number} use letters, digits, _, . and -`
    )
  }
  const githubToken =
    secret('github-token') ??
    fail('github-token', 'is required with protect-pr-tags, to list open pull requests')
  return { template, githubToken }
}
