// /v2/ as ACR serves it in front of the registry: manifests pass through and
// are recorded (times, platform, references, subject) and guarded by locks;
// blob GETs are redirected to the storage origin; tag and catalog lists page
// by `n` (distribution 2.8 ignores it on tags/list); tags can be deleted
// (OCI 1.1), as can manifests, taking their referrers along; the referrers
// API answers from what the emulator has seen. Everything else streams
// through to the registry.

import type http from 'node:http'
import type { Backing } from './backing.js'
import type { Deleter } from './deletion.js'
import type { Discovery } from './discovery.js'
import type { StorageLayout } from './layout.js'
import { mayDeleteManifest, mayDeleteTag, mayPush, mayRead } from './locks.js'
import { describeManifest } from './manifest-info.js'
import { byName, pageOf } from './paging.js'
import {
  acrHeaders,
  errors,
  readSmallBody,
  sendDisallowed,
  sendEmpty,
  sendError,
  sendJson
} from './replies.js'
import { isDigest, v2Path, type Route } from './routes.js'
import type { RequestTarget } from '../https-server.js'
import type { AcrState, RepositoryRecord } from './state.js'
import type { BlobStorage } from './storage.js'

export interface V2Context {
  state: AcrState
  discovery: Discovery
  layout: StorageLayout
  backing: Backing
  deleter: Deleter
  storage: BlobStorage
}

type V2Route = Extract<Route, { api: 'v2' }>

/** ACR refuses manifests over 4 MiB. */
const MANIFEST_LIMIT = 4 * 1024 * 1024
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

export async function handleV2(
  ctx: V2Context,
  route: V2Route,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: RequestTarget
): Promise<void> {
  const method = req.method ?? 'GET'
  const reading = method === 'GET' || method === 'HEAD'
  switch (route.kind) {
    case 'base':
      return sendJson(res, 200, {})
    case 'catalog':
      if (!reading) break
      return catalog(ctx, res, target)
    case 'tags':
      if (!reading) break
      return tagList(ctx, route.repository, res, target)
    case 'referrers':
      if (!reading) break
      return referrers(ctx, route.repository, route.reference, res, target)
    case 'manifest':
      if (reading) return pullManifest(ctx, route.repository, route.reference, req, res, target)
      if (method === 'PUT') return pushManifest(ctx, route.repository, route.reference, req, res)
      if (method === 'DELETE') return deleteReference(ctx, route.repository, route.reference, res)
      break
    case 'blob':
      if (method === 'GET') return redirectBlob(ctx, route.repository, route.reference, res)
      return ctx.backing.forward(
        req,
        res,
        withQuery(v2Path(route.repository, 'blobs', route.reference), target)
      )
    case 'upload':
      return ctx.backing.forward(
        req,
        res,
        withQuery(v2Path(route.repository, 'blobs', 'uploads', route.rest), target)
      )
    case 'unknown':
      return sendError(res, 404, errors.notFound())
  }
  sendError(res, 405, errors.unsupported(`${method} is not supported on ${target.pathname}`))
}

const withQuery = (path: string, target: RequestTarget): string =>
  target.search ? `${path}?${target.search}` : path

async function catalog(
  ctx: V2Context,
  res: http.ServerResponse,
  target: RequestTarget
): Promise<void> {
  const names = (await ctx.discovery.catalog()).filter(
    name => ctx.state.get(name)?.attributes.listEnabled !== false
  )
  const { items, headers } = pageOf('v2', target.query, '/v2/_catalog', names, byName)
  sendJson(res, 200, { repositories: items }, headers)
}

async function tagList(
  ctx: V2Context,
  name: string,
  res: http.ServerResponse,
  target: RequestTarget
): Promise<void> {
  const repository = await ctx.discovery.repository(name)
  if (!repository) return sendError(res, 404, errors.nameUnknown(name))
  const tags = [...repository.tags.values()].filter(tag => tag.attributes.listEnabled)
  const path = `/v2/${name}/tags/list`
  const { items, headers } = pageOf('v2', target.query, path, tags, tag => byName(tag.name))
  sendJson(res, 200, { name, tags: items.map(tag => tag.name) }, headers)
}

async function referrers(
  ctx: V2Context,
  name: string,
  subject: string,
  res: http.ServerResponse,
  target: RequestTarget
): Promise<void> {
  const repository = await ctx.discovery.repository(name)
  const artifactType = target.query.get('artifactType')
  const manifests = [...(repository?.manifests.values() ?? [])]
    .filter(m => m.subject === subject && (!artifactType || m.artifactType === artifactType))
    .map(m => ({
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.size,
      ...(m.artifactType ? { artifactType: m.artifactType } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {})
    }))
  sendJson(
    res,
    200,
    { schemaVersion: 2, mediaType: OCI_INDEX, manifests },
    {
      'content-type': OCI_INDEX,
      ...(artifactType ? { 'oci-filters-applied': 'artifactType' } : {})
    }
  )
}

async function pullManifest(
  ctx: V2Context,
  name: string,
  reference: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: RequestTarget
): Promise<void> {
  const repository = await ctx.discovery.repository(name)
  if (!mayRead(repository, reference)) return sendDisallowed(res)
  return ctx.backing.forward(req, res, withQuery(v2Path(name, 'manifests', reference), target))
}

async function pushManifest(
  ctx: V2Context,
  name: string,
  reference: string,
  req: http.IncomingMessage,
  res: http.ServerResponse
): Promise<void> {
  if (!mayPush(await ctx.discovery.repository(name), reference)) return sendDisallowed(res)
  const bytes = await readSmallBody(req, MANIFEST_LIMIT)
  const contentType = req.headers['content-type']
  const reply = await ctx.backing.request(
    'PUT',
    v2Path(name, 'manifests', reference),
    { 'content-type': contentType ?? '', 'content-length': String(bytes.length) },
    bytes
  )
  const headers = ctx.backing.responseHeaders(reply.headers)
  const digest = reply.headers['docker-content-digest']
  if (reply.status === 201 && typeof digest === 'string') {
    const details = await describeManifest(digest, bytes, contentType, d => ctx.layout.readBlob(d))
    ctx.state.putManifest(name, details, 'pushed')
    if (!isDigest(reference)) ctx.state.putTag(name, reference, digest, 'pushed')
    // OCI 1.1: the registry says it processed the subject, so clients skip the tag-schema fallback.
    if (details.subject) headers['oci-subject'] = details.subject
  }
  res.writeHead(reply.status, headers)
  res.end(reply.body)
}

async function deleteReference(
  ctx: V2Context,
  name: string,
  reference: string,
  res: http.ServerResponse
): Promise<void> {
  const repository = await ctx.discovery.repository(name)
  if (!repository) return sendError(res, 404, errors.nameUnknown(name))
  if (!isDigest(reference)) return deleteTag(ctx, repository, reference, res)
  return deleteManifest(ctx, repository, reference, res)
}

/** Shared with /acr/v1: 202, no body, and the digest the tag pointed at. */
export async function deleteTag(
  ctx: Pick<V2Context, 'deleter'>,
  repository: RepositoryRecord,
  tag: string,
  res: http.ServerResponse
): Promise<void> {
  const record = repository.tags.get(tag)
  if (!record) return sendError(res, 404, errors.tagUnknown())
  if (!mayDeleteTag(repository, tag)) return sendDisallowed(res)
  await ctx.deleter.deleteTag(repository, tag)
  sendEmpty(res, 202, { 'x-ms-int-docker-content-digest': record.digest })
}

/** Shared with /acr/v1. */
export async function deleteManifest(
  ctx: Pick<V2Context, 'deleter'>,
  repository: RepositoryRecord,
  digest: string,
  res: http.ServerResponse
): Promise<void> {
  if (!repository.manifests.has(digest)) return sendError(res, 404, errors.manifestUnknown())
  if (!mayDeleteManifest(repository, digest)) return sendDisallowed(res)
  const status = await ctx.deleter.deleteManifest(repository, digest)
  if (status === 202) return sendEmpty(res, 202)
  sendError(res, 404, errors.manifestUnknown())
}

async function redirectBlob(
  ctx: V2Context,
  name: string,
  digest: string,
  res: http.ServerResponse
): Promise<void> {
  // The registry knows whether this repository may serve the blob (it is linked there).
  const head = await ctx.backing.request('HEAD', v2Path(name, 'blobs', digest))
  if (head.status !== 200) return sendError(res, 404, errors.blobUnknown(digest))
  const location = ctx.storage.signedUrl(digest)
  // The body Go's http.Redirect writes, which is what ACR sends.
  const body = Buffer.from(
    `<a href="${location.replace(/&/g, '&amp;')}">Temporary Redirect</a>.\n\n`
  )
  res.writeHead(307, {
    ...acrHeaders(),
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'docker-content-digest': digest,
    location
  })
  res.end(body)
}
