// ACR's /acr/v1 API over the emulator's state: catalog, repository, tag and
// manifest properties, their lists with ordering and Link paging, PATCH of
// the lock attributes, and deletes that honour those locks.

import type http from 'node:http'
import type { Backing } from './acr-backing.js'
import {
  page,
  type AcrState,
  type ChangeableAttributes,
  type ManifestRecord,
  type TagRecord
} from './acr-state.js'
import { readBody, sendJson } from './https-server.js'

export interface MetadataContext {
  host: string
  state: AcrState
  backing: Backing
  headers: () => Record<string, string>
  disallowed: (res: http.ServerResponse) => void
}

const notFound = {
  tag: { code: 'TAG_UNKNOWN', message: 'the specified tag does not exist' },
  manifest: { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }
}

const attributesOf = (record: { attributes: ChangeableAttributes }): ChangeableAttributes => ({
  ...record.attributes
})

function tagJson(tag: TagRecord): Record<string, unknown> {
  return {
    name: tag.name,
    digest: tag.digest,
    createdTime: tag.createdTime,
    lastUpdateTime: tag.lastUpdateTime,
    signed: false,
    changeableAttributes: attributesOf(tag)
  }
}

function manifestJson(manifest: ManifestRecord, tags: string[]): Record<string, unknown> {
  return {
    digest: manifest.digest,
    imageSize: manifest.size,
    createdTime: manifest.createdTime,
    lastUpdateTime: manifest.lastUpdateTime,
    ...(manifest.architecture ? { architecture: manifest.architecture } : {}),
    ...(manifest.os ? { os: manifest.os } : {}),
    mediaType: manifest.mediaType,
    ...(tags.length > 0 ? { tags } : {}),
    ...(manifest.references ? { references: manifest.references } : {}),
    changeableAttributes: attributesOf(manifest)
  }
}

// Under time ordering ACR's `last` is opaque; by name it is the name itself.
function ordered<T extends { lastUpdateTime: string }>(
  items: T[],
  orderby: string | null,
  name: (item: T) => string
): { items: T[]; key: (item: T) => string } {
  const byName = [...items].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0))
  if (orderby !== 'timedesc' && orderby !== 'timeasc') return { items: byName, key: name }
  const sign = orderby === 'timedesc' ? -1 : 1
  const sorted = byName.sort((a, b) => sign * a.lastUpdateTime.localeCompare(b.lastUpdateTime))
  return {
    items: sorted,
    key: item => Buffer.from(`${item.lastUpdateTime}|${name(item)}`).toString('base64url')
  }
}

function listPage<T>(
  res: http.ServerResponse,
  ctx: MetadataContext,
  url: URL,
  path: string,
  all: { items: T[]; key: (item: T) => string },
  body: (items: T[]) => Record<string, unknown>
): void {
  const n = Math.max(1, Number(url.searchParams.get('n') ?? 100) || 100)
  const orderby = url.searchParams.get('orderby') ?? ''
  const result = page(all.items, all.key, n, url.searchParams.get('last') ?? undefined)
  const headers = ctx.headers()
  if (result.next !== undefined) {
    headers.link = `<${path}?last=${encodeURIComponent(result.next)}&n=${n}&orderby=${orderby}>; rel="next"`
  }
  sendJson(res, 200, body(result.items), headers)
}

async function patch(
  req: http.IncomingMessage,
  record: { attributes: ChangeableAttributes }
): Promise<void> {
  const changes = JSON.parse((await readBody(req)) || '{}') as Partial<ChangeableAttributes>
  for (const name of ['deleteEnabled', 'writeEnabled', 'readEnabled', 'listEnabled'] as const) {
    if (typeof changes[name] === 'boolean') record.attributes[name] = changes[name]
  }
}

export async function handleMetadata(
  ctx: MetadataContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL
): Promise<void> {
  const { state, backing } = ctx
  const method = req.method ?? 'GET'
  const [encoded = '', kind, item] = url.pathname.slice('/acr/v1/'.length).split('/')
  const headers = ctx.headers()

  if (encoded === '_catalog') {
    const names = [...new Set([...(await backing.catalog()), ...state.repositories.keys()])]
    const visible = names.filter(
      name => state.repositories.get(name)?.attributes.listEnabled !== false
    )
    return listPage(
      res,
      ctx,
      url,
      '/acr/v1/_catalog',
      { items: visible.sort(), key: n => n },
      items => ({
        repositories: items
      })
    )
  }

  const repository = decodeURIComponent(encoded)
  const envelope = { registry: ctx.host, imageName: repository }
  if (!(await backing.discover(repository))) {
    return sendJson(
      res,
      404,
      {
        errors: [
          {
            code: 'NAME_UNKNOWN',
            message: 'repository name not known to registry',
            detail: { name: repository }
          }
        ]
      },
      headers
    )
  }
  const repo = state.repository(repository)
  const tagsOf = (digest: string): string[] =>
    state
      .tagsOf(repository)
      .filter(t => t.digest === digest)
      .map(t => t.name)
      .sort()

  if (kind === undefined) {
    if (method === 'PATCH') await patch(req, repo)
    if (method === 'DELETE') {
      if (state.deleteRefused(repo)) return ctx.disallowed(res)
      const manifestsDeleted = state.manifestsOf(repository).map(m => m.digest)
      const tagsDeleted = state.tagsOf(repository).map(t => t.name)
      await backing.deleteRepository(repository)
      state.forgetRepository(repository)
      return sendJson(res, 202, { manifestsDeleted, tagsDeleted }, headers)
    }
    return sendJson(
      res,
      200,
      {
        ...envelope,
        createdTime: repo.createdTime,
        lastUpdateTime: repo.lastUpdateTime,
        manifestCount: state.manifestsOf(repository).length,
        tagCount: state.tagsOf(repository).length,
        changeableAttributes: attributesOf(repo)
      },
      headers
    )
  }

  if (kind === '_tags' && item === undefined) {
    // ACR filters a repository's tags by manifest with ?digest= (a parameter of the generated client).
    const digest = url.searchParams.get('digest')
    const tags = state
      .tagsOf(repository)
      .filter(t => t.attributes.listEnabled && (digest === null || t.digest === digest))
    return listPage(
      res,
      ctx,
      url,
      `/acr/v1/${encoded}/_tags`,
      ordered(tags, url.searchParams.get('orderby'), t => t.name),
      items => ({
        ...envelope,
        tags: items.map(tagJson)
      })
    )
  }

  if (kind === '_tags' && item !== undefined) {
    const name = decodeURIComponent(item)
    const tag = state.tags.get(`${repository}:${name}`)
    if (!tag) return sendJson(res, 404, { errors: [notFound.tag] }, headers)
    if (method === 'PATCH') await patch(req, tag)
    if (method === 'DELETE') {
      if (state.deleteRefused(tag, repo)) return ctx.disallowed(res)
      await backing.deleteTag(repository, name)
      state.forgetTag(repository, name)
      res.writeHead(202, {
        ...headers,
        'content-length': '0',
        'x-ms-int-docker-content-digest': tag.digest
      })
      return void res.end()
    }
    return sendJson(res, 200, { ...envelope, tag: tagJson(tag) }, headers)
  }

  if (kind === '_manifests' && item === undefined) {
    const manifests = state.manifestsOf(repository).filter(m => m.attributes.listEnabled)
    return listPage(
      res,
      ctx,
      url,
      `/acr/v1/${encoded}/_manifests`,
      ordered(manifests, url.searchParams.get('orderby'), m => m.digest),
      items => ({ ...envelope, manifests: items.map(m => manifestJson(m, tagsOf(m.digest))) })
    )
  }

  if (kind === '_manifests' && item !== undefined) {
    const digest = decodeURIComponent(item)
    const manifest =
      state.manifests.get(`${repository}@${digest}`) ??
      (await backing.readManifest(repository, digest))
    if (!manifest) return sendJson(res, 404, { errors: [notFound.manifest] }, headers)
    if (method === 'PATCH') await patch(req, manifest)
    if (method === 'DELETE') {
      if (state.deleteRefused(manifest, repo)) return ctx.disallowed(res)
      await backing.deleteManifest(repository, digest)
      state.forgetManifest(repository, digest)
      res.writeHead(202, { ...headers, 'content-length': '0' })
      return void res.end()
    }
    return sendJson(
      res,
      200,
      { ...envelope, manifest: manifestJson(manifest, tagsOf(digest)) },
      headers
    )
  }

  sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] }, headers)
}
