import { catalogScope, repositoryScope } from '../auth/scopes.js'
import type { RegistryClient } from './client.js'
import { pages } from './paging.js'

export async function listTags(
  client: RegistryClient,
  repository: string,
  pageSize = 1000
): Promise<string[]> {
  const tags: string[] = []
  for await (const page of pages<{ tags?: string[] | null }>(client, {
    path: `/v2/${repository}/tags/list?n=${pageSize}`,
    scopes: [repositoryScope(repository, 'pull')],
    what: `listing the tags of ${repository}`
  })) {
    tags.push(...(page.tags ?? []))
  }
  return tags
}

/** Repository names through /v2/_catalog, which not every registry serves to every identity. */
export async function listRepositories(client: RegistryClient, pageSize = 1000): Promise<string[]> {
  const names: string[] = []
  for await (const page of pages<{ repositories?: string[] | null }>(client, {
    path: `/v2/_catalog?n=${pageSize}`,
    scopes: [catalogScope],
    what: 'listing the repositories (catalog)'
  })) {
    names.push(...(page.repositories ?? []))
  }
  return names
}
