// ACR's metadata API (/acr/v1): times, tags with their digests, untagged
// manifests and the lock attributes, which /v2/ does not have. Pages are
// followed by their Link header: ACR's `last` is opaque under time ordering.

import { catalogScope, repositoryScope } from '../auth/scopes.js'
import type { RegistryClient } from './client.js'
import { registryError } from './errors.js'
import { pages } from './paging.js'

export interface ChangeableAttributes {
  deleteEnabled?: boolean
  writeEnabled?: boolean
  readEnabled?: boolean
  listEnabled?: boolean
}

export interface RepositoryProperties {
  registry: string
  imageName: string
  createdTime: string
  lastUpdateTime: string
  manifestCount: number
  tagCount: number
  changeableAttributes: ChangeableAttributes
}

export interface TagProperties {
  name: string
  digest: string
  createdTime: string
  lastUpdateTime: string
  signed?: boolean
  changeableAttributes: ChangeableAttributes
}

export interface ManifestProperties {
  digest: string
  imageSize: number
  createdTime: string
  lastUpdateTime: string
  architecture?: string
  os?: string
  mediaType?: string
  tags?: string[]
  references?: Array<{ digest: string; architecture?: string; os?: string }>
  changeableAttributes: ChangeableAttributes
}

export type Ordering = 'timedesc' | 'timeasc'

export interface ListOptions {
  orderBy?: Ordering
  pageSize?: number
}

export interface RepositoryDeletion {
  manifestsDeleted: string[]
  tagsDeleted: string[]
}

const json = { 'content-type': 'application/json' }

export class AcrMetadataClient {
  constructor(private readonly client: RegistryClient) {}

  async *repositories(pageSize = 100): AsyncGenerator<string> {
    for await (const page of pages<{ repositories?: string[] }>(this.client, {
      path: `/acr/v1/_catalog?n=${pageSize}`,
      scopes: [catalogScope],
      what: 'listing the repositories'
    })) {
      yield* page.repositories ?? []
    }
  }

  getRepository(repository: string): Promise<RepositoryProperties> {
    return this.read(repository, repoPath(repository), 'metadata_read', `reading ${repository}`)
  }

  updateRepository(
    repository: string,
    attributes: ChangeableAttributes
  ): Promise<RepositoryProperties> {
    return this.write(repository, repoPath(repository), attributes, `updating ${repository}`)
  }

  /** Deletes a repository with all its tags and manifests; undefined when it did not exist. */
  async deleteRepository(repository: string): Promise<RepositoryDeletion | undefined> {
    const response = await this.client.request({
      method: 'DELETE',
      path: repoPath(repository),
      scopes: [repositoryScope(repository, 'delete')]
    })
    if (response.status === 404) {
      await response.discard()
      return undefined
    }
    if (response.status !== 202 && response.status !== 200) {
      throw await registryError(response, `deleting repository ${repository}`)
    }
    const text = await response.text()
    return text
      ? (JSON.parse(text) as RepositoryDeletion)
      : { manifestsDeleted: [], tagsDeleted: [] }
  }

  async *tags(repository: string, options: ListOptions = {}): AsyncGenerator<TagProperties> {
    for await (const page of pages<{ tags?: TagProperties[] }>(this.client, {
      path: `${repoPath(repository)}/_tags${listQuery(options)}`,
      scopes: [repositoryScope(repository, 'metadata_read')],
      what: `listing the tags of ${repository}`
    })) {
      yield* page.tags ?? []
    }
  }

  async getTag(repository: string, tag: string): Promise<TagProperties> {
    const body = await this.read<{ tag: TagProperties }>(
      repository,
      tagPath(repository, tag),
      'metadata_read',
      `reading tag ${repository}:${tag}`
    )
    return body.tag
  }

  async updateTag(
    repository: string,
    tag: string,
    attributes: ChangeableAttributes
  ): Promise<TagProperties> {
    const body = await this.write<{ tag: TagProperties }>(
      repository,
      tagPath(repository, tag),
      attributes,
      `updating tag ${repository}:${tag}`
    )
    return body.tag
  }

  /** Deletes a tag (its manifest stays). Returns false when the tag was already gone. */
  async deleteTag(repository: string, tag: string): Promise<boolean> {
    const response = await this.client.request({
      method: 'DELETE',
      path: tagPath(repository, tag),
      scopes: [repositoryScope(repository, 'delete')]
    })
    if (response.status === 404) {
      await response.discard()
      return false
    }
    if (response.status !== 202 && response.status !== 200) {
      throw await registryError(response, `deleting tag ${repository}:${tag}`)
    }
    await response.discard()
    return true
  }

  async *manifests(
    repository: string,
    options: ListOptions = {}
  ): AsyncGenerator<ManifestProperties> {
    for await (const page of pages<{ manifests?: ManifestProperties[] }>(this.client, {
      path: `${repoPath(repository)}/_manifests${listQuery(options)}`,
      scopes: [repositoryScope(repository, 'metadata_read')],
      what: `listing the manifests of ${repository}`
    })) {
      yield* page.manifests ?? []
    }
  }

  async getManifest(repository: string, digest: string): Promise<ManifestProperties> {
    const body = await this.read<{ manifest: ManifestProperties }>(
      repository,
      manifestPath(repository, digest),
      'metadata_read',
      `reading manifest properties of ${repository}@${digest}`
    )
    return body.manifest
  }

  async updateManifest(
    repository: string,
    digest: string,
    attributes: ChangeableAttributes
  ): Promise<ManifestProperties> {
    const body = await this.write<{ manifest: ManifestProperties }>(
      repository,
      manifestPath(repository, digest),
      attributes,
      `updating manifest ${repository}@${digest}`
    )
    return body.manifest
  }

  private async read<T>(
    repository: string,
    path: string,
    action: string,
    what: string
  ): Promise<T> {
    const response = await this.client.request({
      method: 'GET',
      path,
      scopes: [repositoryScope(repository, action)],
      headers: { accept: 'application/json' }
    })
    if (response.status !== 200) throw await registryError(response, what)
    return response.json<T>()
  }

  private async write<T>(
    repository: string,
    path: string,
    attributes: ChangeableAttributes,
    what: string
  ): Promise<T> {
    const response = await this.client.request({
      method: 'PATCH',
      path,
      scopes: [repositoryScope(repository, 'metadata_write')],
      headers: json,
      body: JSON.stringify(attributes)
    })
    if (response.status !== 200) throw await registryError(response, what)
    return response.json<T>()
  }
}

function repoPath(repository: string): string {
  return `/acr/v1/${encodeURIComponent(repository)}`
}

function tagPath(repository: string, tag: string): string {
  return `${repoPath(repository)}/_tags/${encodeURIComponent(tag)}`
}

function manifestPath(repository: string, digest: string): string {
  return `${repoPath(repository)}/_manifests/${encodeURIComponent(digest)}`
}

function listQuery({ orderBy, pageSize }: ListOptions): string {
  const query = new URLSearchParams()
  if (pageSize !== undefined) query.set('n', String(pageSize))
  if (orderBy !== undefined) query.set('orderby', orderBy)
  const text = query.toString()
  return text ? `?${text}` : ''
}
