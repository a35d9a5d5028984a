// An Azure Container Registry for tests: ACR's auth (challenge, Entra-token
// exchange, refresh and access tokens, admin user, anonymous pull), the
// /acr/v1 metadata API with times and locks, blob downloads redirected to a
// storage origin that refuses Authorization, referrers, faults and write
// throttling, all over HTTPS in front of a real distribution registry.
// Wire formats follow shared/ACR-WIRE-FACTS.md; the real
// @azure/container-registry SDK accepts it (acr-sdk-fidelity.test.ts).

import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { makeTempDir, removeTempDir } from '../../rig/cleanup.js'
import { startRegistry, type Registry } from '../../rig/registry.js'
import { createCertificateAuthority, type CertificateAuthority } from '../../rig/tls.js'
import { Backing } from './backing.js'
import { Deleter } from './deletion.js'
import { Discovery } from './discovery.js'
import { Faults, type FaultControls } from './faults.js'
import {
  acceptUnexpiredJwt,
  defaultPermissions,
  type EntraIdentity,
  type Permissions,
  type User
} from './identity.js'
import { Latency } from './latency.js'
import { StorageLayout } from './layout.js'
import { BodyTooLarge, errors, sendError } from './replies.js'
import { type OAuthContext } from './oauth.js'
import { router } from './router.js'
import { isDigest } from './routes.js'
import { startOrigin, type LoggedRequest } from '../https-server.js'
import { AcrState, ATTRIBUTE_NAMES, type ChangeableAttributes, type Timed } from './state.js'
import type { Site } from './site.js'
import { startBlobStorage } from './storage.js'
import { Stamper, ticksOf } from './time.js'
import { TokenService } from './tokens.js'

export type { Fault, FaultControls } from './faults.js'
export type { EntraIdentity, Identity, Permissions, User } from './identity.js'
export type { AuthKind, LoggedRequest } from '../https-server.js'
export type { ChangeableAttributes } from './state.js'
export type { Scope } from './scopes.js'
export { REFRESH_TOKEN_USER } from './oauth.js'

export interface AcrEmulatorOptions {
  /** The registry to front; without one the emulator starts (and stops) its own. */
  registry?: Registry
  /** The CA that signs both origins' certificates; without one the emulator makes its own. */
  ca?: CertificateAuthority
  /** The `service` of challenges and the audience of tokens; the emulator's host by default. */
  service?: string
  /** Checks the Entra token given to /oauth2/exchange; by default any unexpired JWT passes. */
  verifyEntraToken?: (token: string) => EntraIdentity | undefined
  refreshTokenLifetimeSeconds?: number
  accessTokenLifetimeSeconds?: number
  /** Basic credentials for GET /oauth2/token: the admin user, repository-scoped tokens. */
  users?: User[]
  anonymousPull?: boolean
  /** What each identity may do on a resource; the default grants Entra identities everything. */
  permissions?: Permissions
  /** How long a blob redirect's SAS URL stays valid. */
  blobUrlLifetimeSeconds?: number
  /** Milliseconds since the epoch: for token lifetimes, ACR times, SAS expiry and the throttle. */
  clock?: () => number
  /** Milliseconds every answer of the login server waits (see latency()); 0 by default. */
  latencyMs?: number
}

/** A time to set: one Date sets both, or each on its own. */
export type TimeChange = Date | { created?: Date; updated?: Date }

export interface AcrEmulator {
  /** `https://127.0.0.1:PORT`, the login server. */
  url: string
  host: string
  service: string
  /** The storage origin blob GETs redirect to. */
  storageUrl: string
  caPem: string
  caFile: string
  /** The registry behind the emulator. */
  registry: Registry
  /** Every refresh and access token handed out so far. */
  issuedTokens(): string[]
  /** What the login server answered, oldest first; credentials are never recorded. */
  requests(): LoggedRequest[]
  /** What the storage origin answered. */
  storageRequests(): LoggedRequest[]
  clearRequests(): void
  faults: FaultControls
  setAnonymousPull(enabled: boolean): void
  /** Delays every later answer of the login server by `ms`, as a registry that far away would. */
  latency(ms: number): void
  setTagTime(repository: string, tag: string, time: TimeChange): Promise<void>
  /** `reference` is a digest, or a tag whose manifest is meant. */
  setManifestTime(repository: string, reference: string, time: TimeChange): Promise<void>
  /** Locks as PATCH /acr/v1 sets them: the repository, or one of its tags or manifests. */
  setAttributes(
    target: { repository: string; tag?: string; digest?: string },
    attributes: Partial<ChangeableAttributes>
  ): Promise<void>
  stop(): Promise<void>
}

export async function startAcrEmulator(options: AcrEmulatorOptions = {}): Promise<AcrEmulator> {
  const dir = await makeTempDir('acr')
  const stops: Array<() => Promise<void> | void> = [() => removeTempDir(dir)]
  const stop = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step()
  }
  try {
    const ca = options.ca ?? (await createCertificateAuthority(join(dir, 'ca')))
    const registry = options.registry ?? (await startRegistry())
    if (!options.registry) stops.push(() => registry.stop())
    return await assemble(options, dir, ca, registry, stops, stop)
  } catch (error) {
    await stop()
    throw error
  }
}

async function assemble(
  options: AcrEmulatorOptions,
  dir: string,
  ca: CertificateAuthority,
  registry: Registry,
  stops: Array<() => Promise<void> | void>,
  stop: () => Promise<void>
): Promise<AcrEmulator> {
  const clock = options.clock ?? Date.now
  const registryId = randomBytes(16).toString('hex')
  const layout = new StorageLayout(registry)
  const state = new AcrState(new Stamper(clock))
  const discovery = new Discovery(state, layout)
  const backing = new Backing(registry)
  stops.push(() => backing.close())
  const storage = await startBlobStorage({
    ca,
    dir,
    layout,
    registryId,
    clock,
    lifetimeSeconds: options.blobUrlLifetimeSeconds ?? 1200
  })
  stops.push(() => storage.stop())
  const faults = new Faults(clock)
  const users = options.users ?? []

  const site: Site = { host: '', service: '' }
  const tokens = new TokenService({
    site,
    registryId,
    clock,
    refreshLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 11_700,
    accessLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 4_500
  })
  const oauth: OAuthContext = {
    site,
    tokens,
    verifyEntraToken: options.verifyEntraToken ?? acceptUnexpiredJwt(clock),
    users,
    anonymousPull: options.anonymousPull ?? false,
    permissions: options.permissions ?? defaultPermissions(users)
  }
  const deleter = new Deleter(state, layout, backing)
  const latency = new Latency(options.latencyMs ?? 0)
  const routed = latency.wrap(
    router({
      site,
      tokens,
      faults,
      oauth,
      v2: { state, discovery, layout, backing, deleter, storage },
      metadata: { site, state, discovery, deleter },
      logDropped: (req, target) => origin.logDropped(req, target)
    })
  )
  // Stamped before the latency wait: a request's arrival is when it reached the far end.
  const handler: typeof routed = (req, res, target) =>
    discovery.arrived(() => routed(req, res, target))
  const origin = await startOrigin({
    ca,
    dir,
    name: 'acr',
    logQuery: true,
    handler,
    onError: (res, error) =>
      error instanceof BodyTooLarge
        ? sendError(res, 413, errors.invalid('SIZE_INVALID', error.message))
        : sendError(res, 500, errors.invalid('UNKNOWN', String(error)))
  })
  stops.push(() => origin.stop())
  site.host = origin.host
  site.service = options.service ?? origin.host

  const repository = async (name: string) => {
    const record = await discovery.repository(name)
    if (!record) throw new Error(`the registry holds no repository ${name}`)
    return record
  }
  const setTimes = (record: Timed, time: TimeChange): void => {
    const { created, updated } = time instanceof Date ? { created: time, updated: time } : time
    if (created) record.created = ticksOf(created)
    if (updated) record.updated = ticksOf(updated)
  }

  return {
    url: origin.url,
    host: origin.host,
    service: site.service,
    storageUrl: storage.url,
    caPem: ca.pem,
    caFile: ca.cert,
    registry,
    issuedTokens: () => tokens.issuedTokens(),
    requests: () => origin.log.map(entry => ({ ...entry })),
    storageRequests: () => storage.log.map(entry => ({ ...entry })),
    clearRequests: () => {
      origin.log.length = 0
      storage.log.length = 0
    },
    faults,
    setAnonymousPull: enabled => {
      oauth.anonymousPull = enabled
    },
    latency: ms => latency.set(ms),
    setTagTime: async (name, tag, time) => {
      const record = (await repository(name)).tags.get(tag)
      if (!record) throw new Error(`no tag ${name}:${tag}`)
      setTimes(record, time)
    },
    setManifestTime: async (name, reference, time) => {
      const found = await repository(name)
      const digest = isDigest(reference) ? reference : found.tags.get(reference)?.digest
      const record = digest === undefined ? undefined : found.manifests.get(digest)
      if (!record) throw new Error(`no manifest ${name}@${reference}`)
      setTimes(record, time)
    },
    setAttributes: async (target, attributes) => {
      const found = await repository(target.repository)
      const record = target.tag
        ? found.tags.get(target.tag)
        : target.digest
          ? found.manifests.get(target.digest)
          : found
      if (!record) throw new Error(`nothing at ${JSON.stringify(target)}`)
      for (const name of ATTRIBUTE_NAMES) {
        const value = attributes[name]
        if (value !== undefined) record.attributes[name] = value
      }
    },
    stop
  }
}
