// The action's inputs: the only module that reads them. Everything is validated here,
// before any network request, and comes out as one typed value per operation. Inputs
// that an operation does not use are not read, so they can never fail it.

import { parseRegistry, type RegistryAddress } from './registry/reference.js'
import type { Platform } from './registry/types.js'
import {
  boolean,
  checkRepository,
  choice,
  env,
  fail,
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
import { readPrune, type PruneInputs } from './inputs/prune.js'
import { readPull, type PullInputs } from './inputs/pull.js'

export { InputError } from './inputs/parsers.js'
export type { DeleteInputs } from './inputs/delete.js'
export { LOCK_ATTRIBUTES, type LockAttribute, type LockInputs } from './inputs/lock.js'
export type { CompiledPattern, PruneInputs, RepositorySelector } from './inputs/prune.js'
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
