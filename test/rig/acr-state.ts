// What the ACR emulator holds, read the way a client that shares no code with
// the action would: every repository, tag and manifest in the backing
// registry's storage (listEnabled: false hides none of them), each with its
// /acr/v1 properties: times, changeableAttributes, an index's references.
// Two snapshots, before and after a step, show whether it changed anything.

import { request } from 'node:https'
import { clientId, tenantId, type Azure } from '../emulators/azure.js'
import { StorageLayout } from '../emulators/acr/layout.js'
import { simpleRequest } from './http.js'
import type { Credentials, Registry } from './registry.js'

export interface ChangeableAttributes {
  deleteEnabled: boolean
  writeEnabled: boolean
  readEnabled: boolean
  listEnabled: boolean
}

export interface TagProperties {
  name: string
  digest: string
  createdTime: string
  lastUpdateTime: string
  changeableAttributes: ChangeableAttributes
}

export interface ManifestProperties {
  digest: string
  mediaType?: string
  createdTime: string
  lastUpdateTime: string
  tags?: string[]
  references?: Array<{ digest: string; architecture?: string; os?: string }>
  changeableAttributes: ChangeableAttributes
}

export interface RepositoryProperties {
  imageName: string
  createdTime: string
  lastUpdateTime: string
  manifestCount: number
  tagCount: number
  changeableAttributes: ChangeableAttributes
}

export interface RepositoryState {
  properties: RepositoryProperties
  tags: Record<string, TagProperties>
  manifests: Record<string, ManifestProperties>
}

/** Every repository by name. */
export type AcrSnapshot = Record<string, RepositoryState>

/** What the registry's storage holds: per repository, its tags (→ digest) and manifest digests. */
export type RegistryContents = Record<string, { tags: Record<string, string>; manifests: string[] }>

/** The emulator as seen from outside; an AcrEmulator fits. */
export interface AcrSite {
  url: string
  service: string
  caPem: string
  registry: Registry
}

/** Trades token scopes (`repository:team/app:metadata_read`) for an ACR access token. */
export type AcrSignIn = (scopes: string[]) => Promise<string>

export const ALL_ENABLED: ChangeableAttributes = {
  deleteEnabled: true,
  writeEnabled: true,
  readEnabled: true,
  listEnabled: true
}

/** Repositories, tags and manifests as the storage folder has them; works for any rig registry. */
export async function registryContents(registry: Registry): Promise<RegistryContents> {
  const layout = new StorageLayout(registry)
  const contents: RegistryContents = {}
  for (const name of await layout.repositories()) {
    const tags = (await layout.tags(name)).sort((a, b) => a.name.localeCompare(b.name))
    contents[name] = {
      tags: Object.fromEntries(tags.map(tag => [tag.name, tag.digest])),
      manifests: (await layout.manifests(name)).sort()
    }
  }
  return contents
}

export class AcrReader {
  constructor(
    private readonly acr: AcrSite,
    private readonly signIn: AcrSignIn
  ) {}

  async repository(name: string): Promise<RepositoryProperties | undefined> {
    return this.get<RepositoryProperties>(name, '')
  }

  async tag(repository: string, tag: string): Promise<TagProperties | undefined> {
    return (await this.get<{ tag: TagProperties }>(repository, `/_tags/${tag}`))?.tag
  }

  async manifest(repository: string, digest: string): Promise<ManifestProperties | undefined> {
    const body = await this.get<{ manifest: ManifestProperties }>(
      repository,
      `/_manifests/${digest}`
    )
    return body?.manifest
  }

  /** Everything the emulator holds. */
  async snapshot(): Promise<AcrSnapshot> {
    const snapshot: AcrSnapshot = {}
    for (const [name, held] of Object.entries(await registryContents(this.acr.registry))) {
      const properties = await this.repository(name)
      if (!properties) throw new Error(`/acr/v1 does not know repository ${name}`)
      const tags: Record<string, TagProperties> = {}
      for (const tag of Object.keys(held.tags)) tags[tag] = await this.must(this.tag(name, tag))
      const manifests: Record<string, ManifestProperties> = {}
      for (const digest of held.manifests) {
        manifests[digest] = await this.must(this.manifest(name, digest))
      }
      snapshot[name] = { properties, tags, manifests }
    }
    return snapshot
  }

  private async must<T>(read: Promise<T | undefined>): Promise<T> {
    const found = await read
    if (found === undefined) throw new Error('/acr/v1 lost an item the storage holds')
    return found
  }

  /** GET /acr/v1/<repository><rest>; undefined on 404. */
  private async get<T>(repository: string, rest: string): Promise<T | undefined> {
    const token = await this.signIn([`repository:${repository}:metadata_read`])
    const url = `${this.acr.url}/acr/v1/${encodeURIComponent(repository)}${rest}`
    const response = await simpleRequest(url, {
      ca: this.acr.caPem,
      headers: { authorization: `Bearer ${token}` }
    })
    if (response.status === 404) return undefined
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${response.body}`)
    return JSON.parse(response.body) as T
  }
}

/** Docker-style sign-in: GET /oauth2/token with Basic credentials (the admin user). */
export function basicSignIn(acr: AcrSite, user: Credentials): AcrSignIn {
  return async scopes => {
    const query = new URLSearchParams({ service: acr.service })
    for (const scope of scopes) query.append('scope', scope)
    const basic = Buffer.from(`${user.username}:${user.password}`).toString('base64')
    const response = await simpleRequest(`${acr.url}/oauth2/token?${query}`, {
      ca: acr.caPem,
      headers: { authorization: `Basic ${basic}` }
    })
    return field(response.status, response.body, 'access_token', 'GET /oauth2/token')
  }
}

/**
 * The workflow's chain: the runner's ID token as a client assertion to Entra
 * ID, the Entra token exchanged for an ACR refresh token (kept: it lasts
 * hours), and that traded for each access token.
 */
export function oidcSignIn(azure: Azure): AcrSignIn {
  let refreshToken: Promise<string> | undefined
  const refresh = async (): Promise<string> => {
    const env = azure.runner.env()
    const audience = encodeURIComponent('api://AzureADTokenExchange')
    const idResponse = await simpleRequest(
      `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${audience}`,
      {
        ca: azure.ca.pem,
        headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
      }
    )
    const idToken = field(idResponse.status, idResponse.body, 'value', 'the runner ID token')
    const entraToken = await postForm(
      azure.ca.pem,
      `${azure.entra.url}/${tenantId}/oauth2/v2.0/token`,
      {
        grant_type: 'client_credentials',
        client_id: clientId,
        scope: 'https://containerregistry.azure.net/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: idToken
      }
    ).then(r => field(r.status, r.body, 'access_token', 'the Entra token'))
    const exchanged = await postForm(azure.ca.pem, `${azure.acr.url}/oauth2/exchange`, {
      grant_type: 'access_token',
      service: azure.acr.service,
      tenant: tenantId,
      access_token: entraToken
    })
    return field(exchanged.status, exchanged.body, 'refresh_token', 'POST /oauth2/exchange')
  }
  return async scopes => {
    const token = await (refreshToken ??= refresh())
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      service: azure.acr.service,
      refresh_token: token
    })
    for (const scope of scopes) form.append('scope', scope)
    const response = await postForm(azure.ca.pem, `${azure.acr.url}/oauth2/token`, form)
    return field(response.status, response.body, 'access_token', 'POST /oauth2/token')
  }
}

function field(status: number, body: string, name: string, what: string): string {
  const value = status === 200 ? (JSON.parse(body) as Record<string, unknown>)[name] : undefined
  if (typeof value !== 'string') throw new Error(`${what}: ${status} ${body}`)
  return value
}

/** One form POST over HTTPS with node's own client (simpleRequest sends no body). */
function postForm(
  ca: string,
  url: string,
  fields: Record<string, string> | URLSearchParams
): Promise<{ status: number; body: string }> {
  const body = Buffer.from(new URLSearchParams(fields).toString())
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        agent: false,
        timeout: 10_000,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(body.length)
        }
      },
      res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })
        )
      }
    )
    req.on('timeout', () => req.destroy(new Error(`${url}: no response in time`)))
    req.on('error', reject)
    req.end(body)
  })
}
