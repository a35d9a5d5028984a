// ACR's /acr/v1 metadata API (ACR-WIRE-FACTS §3): the catalog, repository,
// tag and manifest properties with their lists (ordering, `n`, `last`, Link),
// PATCH of the changeableAttributes, and deletes that honour the locks.

import type http from 'node:http'
import type { Discovery } from './discovery.js'
import { mayDeleteRepository } from './locks.js'
import { byName, pageOf, type Sortable } from './paging.js'
import { errors, readSmallBody, sendDisallowed, sendError, sendJson } from './replies.js'
import type { Route } from './routes.js'
import type { RequestTarget } from '../https-server.js'
import {
  ATTRIBUTE_NAMES,
  tagsOf,
  type AcrState,
  type ChangeableAttributes,
  type Lockable,
  type ManifestRecord,
  type RepositoryRecord,
  type TagRecord
} from './state.js'
import type { Site } from './site.js'
import { acrTime } from './time.js'
import { deleteManifest, deleteTag, type V2Context } from './v2.js'

export interface MetadataContext extends Pick<V2Context, 'deleter'> {
  site: Site
  state: AcrState
  discovery: Discovery
}

type AcrRoute = Extract<Route, { api: 'acr' }>

const PATCH_LIMIT = 64 * 1024

const attributesOf = (record: Lockable): ChangeableAttributes => ({ ...record.attributes })

function tagJson(tag: TagRecord): Record<string, unknown> {
  return {
    name: tag.name,
    digest: tag.digest,
    createdTime: acrTime(tag.created),
    lastUpdateTime: acrTime(tag.updated),
    signed: false,
    changeableAttributes: attributesOf(tag)
  }
}

function manifestJson(
  repository: RepositoryRecord,
  manifest: ManifestRecord
): Record<string, unknown> {
  const tags = tagsOf(repository, manifest.digest)
  return {
    digest: manifest.digest,
    imageSize: manifest.size,
    createdTime: acrTime(manifest.created),
    lastUpdateTime: acrTime(manifest.updated),
    ...(manifest.architecture !== undefined ? { architecture: manifest.architecture } : {}),
    ...(manifest.os !== undefined ? { os: manifest.os } : {}),
    mediaType: manifest.mediaType,
    ...(tags.length > 0 ? { tags } : {}),
    changeableAttributes: attributesOf(manifest),
    ...(manifest.references ? { references: manifest.references } : {})
  }
}

function repositoryJson(host: string, repository: RepositoryRecord): Record<string, unknown> {
  return {
    registry: host,
    imageName: repository.name,
    createdTime: acrTime(repository.created),
    lastUpdateTime: acrTime(repository.updated),
    manifestCount: repository.manifests.size,
    tagCount: repository.tags.size,
    changeableAttributes: attributesOf(repository)
  }
}

/** Applies a PATCH body; false when it is not an object of booleans. */
async function patchAttributes(req: http.IncomingMessage, record: Lockable): Promise<boolean> {
  let body: unknown
  try {
    body = JSON.parse((await readSmallBody(req, PATCH_LIMIT)).toString('utf8') || '{}')
  } catch {
    return false
  }
  if (typeof body !== 'object' || body === null) return false
  const changes = body as Record<string, unknown>
  const valid = ATTRIBUTE_NAMES.every(
    name => changes[name] === undefined || typeof changes[name] === 'boolean'
  )
  if (!valid) return false
  for (const name of ATTRIBUTE_NAMES) {
    const value = changes[name]
    if (typeof value === 'boolean') record.attributes[name] = value
  }
  return true
}

/** One page of a list, with ACR's Link to the next. */
function sendPage<T>(
  res: http.ServerResponse,
  target: RequestTarget,
  path: string,
  items: T[],
  sortable: (item: T) => Sortable,
  body: (items: T[]) => Record<string, unknown>
): void {
  const chosen = pageOf('acr', target.query, path, items, sortable)
  sendJson(res, 200, body(chosen.items), chosen.headers)
}

export async function handleMetadata(
  ctx: MetadataContext,
  route: AcrRoute,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: RequestTarget
): Promise<void> {
  const method = req.method ?? 'GET'
  if (route.kind === 'unknown') return sendError(res, 404, errors.notFound())
  if (route.kind === 'catalog') {
    if (method !== 'GET') return unsupported(res, method)
    const names = (await ctx.discovery.catalog()).filter(
      name => ctx.state.get(name)?.attributes.listEnabled !== false
    )
    return sendPage(res, target, '/acr/v1/_catalog', names, byName, items => ({
      repositories: items
    }))
  }

  const repository = await ctx.discovery.repository(route.repository)
  if (!repository) return sendError(res, 404, errors.nameUnknown(route.repository))
  const envelope = { registry: ctx.site.host, imageName: repository.name }
  const encoded = `/acr/v1/${encodeURIComponent(repository.name)}`

  switch (route.kind) {
    case 'repository':
      return properties(
        req,
        res,
        repository,
        () => repositoryJson(ctx.site.host, repository),
        async () => {
          if (!mayDeleteRepository(repository)) return sendDisallowed(res)
          sendJson(res, 202, await ctx.deleter.deleteRepository(repository))
        }
      )

    case 'tags': {
      if (method !== 'GET') return unsupported(res, method)
      const digest = target.query.get('digest')
      const tags = [...repository.tags.values()].filter(
        tag => tag.attributes.listEnabled && (!digest || tag.digest === digest)
      )
      return sendPage(
        res,
        target,
        `${encoded}/_tags`,
        tags,
        tag => ({ key: tag.name, time: tag.updated }),
        items => ({
          ...envelope,
          tags: items.map(tagJson)
        })
      )
    }

    case 'tag': {
      const tag = repository.tags.get(route.reference)
      if (!tag) return sendError(res, 404, errors.tagUnknown())
      return properties(
        req,
        res,
        tag,
        () => ({ ...envelope, tag: tagJson(tag) }),
        () => deleteTag(ctx, repository, route.reference, res)
      )
    }

    case 'manifests': {
      if (method !== 'GET') return unsupported(res, method)
      const manifests = [...repository.manifests.values()].filter(m => m.attributes.listEnabled)
      return sendPage(
        res,
        target,
        `${encoded}/_manifests`,
        manifests,
        manifest => ({ key: manifest.digest, time: manifest.updated }),
        items => ({ ...envelope, manifests: items.map(m => manifestJson(repository, m)) })
      )
    }

    case 'manifest': {
      const manifest = repository.manifests.get(route.reference)
      if (!manifest) return sendError(res, 404, errors.manifestUnknown())
      return properties(
        req,
        res,
        manifest,
        () => ({ ...envelope, manifest: manifestJson(repository, manifest) }),
        () => deleteManifest(ctx, repository, route.reference, res)
      )
    }
  }
}

/** GET shows a record, PATCH changes its attributes and shows it, DELETE removes it. */
async function properties(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  record: Lockable,
  render: () => Record<string, unknown>,
  remove: () => Promise<void>
): Promise<void> {
  const method = req.method ?? 'GET'
  if (method === 'GET') return sendJson(res, 200, render())
  if (method === 'DELETE') return remove()
  if (method !== 'PATCH') return unsupported(res, method)
  if (!(await patchAttributes(req, record))) {
    return sendError(
      res,
      400,
      errors.invalid('BAD_REQUEST', 'the body must be a JSON object of changeable attributes')
    )
  }
  sendJson(res, 200, render())
}

function unsupported(res: http.ServerResponse, method: string): void {
  sendError(res, 405, errors.unsupported(`${method} is not supported here`))
}
