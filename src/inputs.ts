// The action's inputs: the only module that reads them. Everything is validated here,
// before any network request, and comes out as one typed value per operation. Inputs
// that an operation does not use are not read, so they can never fail it.

import * as core from '@actions/core'
import {
  InvalidReferenceError,
  compileRepositoryGlob,
  compileTagGlob,
  parseRegistry,
  validateDigest,
  validateRepository,
  validateTag,
  type RegistryAddress
} from './registry/reference.js'
import type { Platform } from './registry/types.js'

/** An input that is missing or malformed; `input` is its name as written in a workflow. */
export class InputError extends Error {
  override name = 'InputError'
  readonly input: string

  constructor(input: string, problem: string) {
    super(`Input '${input}': ${problem}`)
    this.input = input
  }
}

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

export interface PushInputs extends CommonInputs {
  operation: 'push'
  repository: string
  /** Empty: push by digest only. */
  tags: string[]
  content: { kind: 'files'; files: string[] } | { kind: 'oci-layout'; path: string }
  /** Titles of pushed files are relative to this folder. */
  path: string
  artifactType?: string
  annotations: Record<string, string>
  /** Path of a config file. */
  config?: string
  /** Digest of the manifest the pushed artifact refers to. */
  subject?: string
}

export interface SetManifestInputs extends CommonInputs {
  operation: 'set-manifest'
  repository: string
  /** Empty: put the manifest by digest only. */
  tags: string[]
  /** Path of the manifest JSON file. */
  manifest: string
}

export interface PullInputs extends CommonInputs {
  operation: 'pull'
  target: ManifestTarget
  path: string
  format: 'files' | 'oci-layout'
  platform: Platform
  cache: boolean
}

export const LOCK_ATTRIBUTES = ['write', 'delete', 'read', 'list'] as const
export type LockAttribute = (typeof LOCK_ATTRIBUTES)[number]

export interface LockInputs extends CommonInputs {
  operation: 'lock' | 'unlock'
  target: Target
  /** What to disable (lock) or enable (unlock); at least one, no repeats. */
  attributes: LockAttribute[]
}

export interface DeleteInputs extends CommonInputs {
  operation: 'delete'
  target: Target
  dryRun: boolean
}

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

function readPush(common: CommonInputs): PushInputs {
  const repository = readRepository(common.registry, 'push')
  const files = list('files', LINES)
  const ociLayout = text('oci-layout')
  if (files.length > 0 && ociLayout !== undefined) {
    fail(
      'oci-layout',
      'cannot be combined with files: give files (one a line) or oci-layout, not both'
    )
  }
  const content: PushInputs['content'] =
    ociLayout !== undefined
      ? { kind: 'oci-layout', path: ociLayout }
      : files.length > 0
        ? { kind: 'files', files }
        : fail('files', 'push needs files (paths or globs, one a line) or oci-layout')
  const artifactType = text('artifact-type')
  if (artifactType !== undefined && !MEDIA_TYPE.test(artifactType)) {
    fail(
      'artifact-type',
      `${quote(artifactType)} is not a media type: type/subtype, as in application/vnd.example+json`
    )
  }
  const subject = text('subject')
  const config = text('config')
  return {
    operation: 'push',
    ...common,
    repository,
    tags: readTags(),
    content,
    path: text('path') ?? '.',
    ...(artifactType === undefined ? {} : { artifactType }),
    annotations: readAnnotations(),
    ...(config === undefined ? {} : { config }),
    ...(subject === undefined ? {} : { subject: parse('subject', () => validateDigest(subject)) })
  }
}

// RFC 6838 restricted names, without parameters.
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/

function readAnnotations(): Record<string, string> {
  const entries = list('annotations', LINES).map(line => {
    const equals = line.indexOf('=')
    const key = line.slice(0, Math.max(equals, 0)).trim()
    if (equals < 0 || key === '') {
      fail(
        'annotations',
        `${quote(line)} is not key=value: one annotation a line, the key not empty`
      )
    }
    return [key, line.slice(equals + 1).trim()] as const
  })
  const keys = entries.map(([key]) => key)
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i)
  if (repeated !== undefined) fail('annotations', `${quote(repeated)} is given twice`)
  // fromEntries defines own properties, so a key like __proto__ stays an annotation.
  return Object.fromEntries(entries)
}

function readSetManifest(common: CommonInputs): SetManifestInputs {
  return {
    operation: 'set-manifest',
    ...common,
    repository: readRepository(common.registry, 'set-manifest'),
    tags: readTags(),
    manifest:
      text('manifest') ??
      fail('manifest', 'is required for set-manifest: the path of a manifest JSON file')
  }
}

function readPull(common: CommonInputs): PullInputs {
  const target = readTarget(readRepository(common.registry, 'pull'), 'pull')
  if (target.kind === 'repository') fail('tag', 'pull needs a tag or a digest')
  return {
    operation: 'pull',
    ...common,
    target,
    path: text('path') ?? '.',
    format: choice('format', ['files', 'oci-layout'] as const) ?? 'files',
    platform: readPlatform(),
    cache: boolean('cache', true)
  }
}

function readLock(operation: 'lock' | 'unlock', common: CommonInputs): LockInputs {
  const target = readTarget(readRepository(common.registry, operation), operation)
  const attributes = unique(
    list('lock-attributes', LINES_OR_COMMAS).map(
      name =>
        LOCK_ATTRIBUTES.find(attribute => attribute === name.toLowerCase()) ??
        fail('lock-attributes', `${quote(name)} is not one of ${LOCK_ATTRIBUTES.join(', ')}`)
    )
  )
  return {
    operation,
    ...common,
    target,
    attributes: attributes.length > 0 ? attributes : ['write', 'delete']
  }
}

function readDelete(common: CommonInputs): DeleteInputs {
  return {
    operation: 'delete',
    ...common,
    target: readTarget(readRepository(common.registry, 'delete'), 'delete'),
    dryRun: boolean('dry-run', false)
  }
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

function readRepository(registry: RegistryAddress, operation: Operation): string {
  const repository =
    text('repository') ??
    fail('repository', `is required for ${operation}: a name such as team/app`)
  return checkRepository(repository, registry)
}

function checkRepository(repository: string, registry: RegistryAddress): string {
  return parse('repository', () => validateRepository(repository, registry.host))
}

/** Reads the one tag or digest an operation acts on; neither means the repository itself. */
function readTarget(repository: string, operation: Operation): Target {
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

function readTags(): string[] {
  return unique(list('tag', LINES_OR_COMMAS).map(tag => parse('tag', () => validateTag(tag))))
}

function isTag(value: string): boolean {
  try {
    validateTag(value)
    return true
  } catch {
    return false
  }
}

function readPlatform(): Platform {
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

// Shared readers. Each returns undefined for an input left empty, so that callers
// spell their defaults and requirements where they are used.

const LINES = /\r?\n/
// Tags, lock attributes and tag globs cannot contain commas, so commas may separate them too.
const LINES_OR_COMMAS = /[\r\n,]/

function text(name: string): string | undefined {
  const value = core.getInput(name)
  return value === '' ? undefined : value
}

/** Like text, and masks the value in the log before anything else can print it. */
function secret(name: string): string | undefined {
  const value = text(name)
  if (value !== undefined) core.setSecret(value)
  return value
}

function env(name: string): string | undefined {
  const value = process.env[name]?.trim()
  return value === '' ? undefined : value
}

function list(name: string, separator: RegExp): string[] {
  return (text(name) ?? '')
    .split(separator)
    .map(entry => entry.trim())
    .filter(entry => entry !== '')
}

function choice<const T extends string>(name: string, choices: readonly T[]): T | undefined {
  const value = text(name)
  if (value === undefined) return undefined
  return (
    choices.find(option => option.toLowerCase() === value.toLowerCase()) ??
    fail(name, `${quote(value)} is not one of ${choices.join(', ')}`)
  )
}

function boolean(name: string, fallback: boolean): boolean {
  const value = text(name)
  if (value === undefined) return fallback
  const lower = value.toLowerCase()
  if (lower !== 'true' && lower !== 'false') fail(name, `${quote(value)} is not true or false`)
  return lower === 'true'
}

function wholeNumber(name: string, range: { min: number; max?: number }): number | undefined {
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
function parse<T>(name: string, validate: () => T): T {
  try {
    return validate()
  } catch (error) {
    if (error instanceof InvalidReferenceError) throw new InputError(name, error.message)
    throw error
  }
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)]
}

function quote(value: string): string {
  return JSON.stringify(value)
}

function fail(input: string, problem: string): never {
  throw new InputError(input, problem)
}
