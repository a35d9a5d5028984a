// inspect: what a tag or digest points at (media type, size, layers,
// annotations, platforms, referrers), a repository's tags, or the catalog.
// Read only.

import { getManifest } from '../registry/manifests.js'
import { listReferrers } from '../registry/referrers.js'
import { listRepositories, listTags } from '../registry/tags.js'
import { isIndex, type Descriptor, type Platform } from '../registry/types.js'
import { formatReference } from '../registry/reference.js'
import type { InspectInputs } from '../inputs.js'
import type { Logger, OperationContext, OperationResult } from './context.js'
import { isDigest } from '../content/digest.js'
import { lockState } from './locks.js'
import { collect } from '../registry/paging.js'

export type InspectRequest = Pick<InspectInputs, 'target' | 'platform'>

const titleAnnotation = 'org.opencontainers.image.title'

export async function inspect(
  request: InspectRequest,
  context: OperationContext
): Promise<OperationResult> {
  const { target } = request
  switch (target.kind) {
    case 'catalog':
      return inspectCatalog(context)
    case 'repository':
      return inspectRepository(target.repository, context)
    case 'tag':
      return inspectManifest(target.repository, target.tag, request.platform, context)
    case 'digest':
      return inspectManifest(target.repository, target.digest, request.platform, context)
  }
}

async function inspectCatalog({
  client,
  metadata,
  log
}: OperationContext): Promise<OperationResult> {
  const repositories = metadata
    ? await collect(metadata.repositories())
    : await listRepositories(client)
  log.info(`${repositories.length} repositories in ${client.host}`)
  return {
    outputs: {},
    result: { operation: 'inspect', registry: client.host, repositories },
    report: {
      title: `Repositories in ${client.host}`,
      facts: [['Repositories', String(repositories.length)]],
      tables: [
        { caption: 'Repositories', header: ['Repository'], rows: repositories.map(r => [r]) }
      ]
    }
  }
}

async function inspectRepository(
  repository: string,
  { client, metadata, log }: OperationContext
): Promise<OperationResult> {
  // On ACR the metadata API gives each tag's digest, times and locks, newest first.
  const details = metadata
    ? await optional(log, `tag details of ${repository}`, () =>
        collect(metadata.tags(repository, { orderBy: 'timedesc' }))
      )
    : undefined
  const tags = details ? details.map(t => t.name) : await listTags(client, repository)
  log.info(`${client.host}/${repository}: ${tags.length} tags`)
  const table = details
    ? {
        caption: 'Tags, newest first',
        header: ['Tag', 'Digest', 'Last updated', 'Locks'],
        rows: details.map(t => [
          t.name,
          t.digest,
          t.lastUpdateTime,
          lockState(t.changeableAttributes)
        ])
      }
    : { caption: 'Tags', header: ['Tag'], rows: tags.map(t => [t]) }
  return {
    outputs: {},
    result: {
      operation: 'inspect',
      registry: client.host,
      repository,
      tags,
      ...(details ? { tagDetails: details } : {})
    },
    report: {
      title: `Tags of ${client.host}/${repository}`,
      facts: [['Tags', String(tags.length)]],
      tables: [table]
    }
  }
}

async function inspectManifest(
  repository: string,
  reference: string,
  platform: Platform,
  { client, metadata, log }: OperationContext
): Promise<OperationResult> {
  const { descriptor, manifest } = await getManifest(client, repository, reference)
  const referrers = await listReferrers(client, repository, descriptor.digest)
  const acr = metadata
    ? await optional(log, `ACR properties of ${repository}:${reference}`, async () => ({
        tag: isDigest(reference) ? undefined : await metadata.getTag(repository, reference),
        manifest: await metadata.getManifest(repository, descriptor.digest)
      }))
    : undefined
  const name = formatReference(client.host, repository, descriptor.digest)
  log.info(
    `${client.host}/${repository}:${reference} is ${descriptor.digest} (${descriptor.mediaType})`
  )

  const common = {
    operation: 'inspect',
    registry: client.host,
    repository,
    reference: name,
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    artifactType: manifest.artifactType,
    annotations: manifest.annotations ?? {},
    subject: manifest.subject,
    ...(acr ? { acr } : {}),
    referrers: referrers.map(r => ({
      digest: r.digest,
      artifactType: r.artifactType,
      mediaType: r.mediaType
    }))
  }
  const facts: Array<[string, string]> = [
    ['Reference', name],
    ['Media type', descriptor.mediaType],
    ['Manifest size', `${descriptor.size} bytes`]
  ]
  if (manifest.artifactType) facts.push(['Artifact type', manifest.artifactType])
  if (manifest.subject) facts.push(['Subject', manifest.subject.digest])
  if (acr?.tag) {
    facts.push(['Tag last updated', acr.tag.lastUpdateTime])
    facts.push(['Tag locks', lockState(acr.tag.changeableAttributes)])
  }
  if (acr) {
    facts.push(['Manifest created', acr.manifest.createdTime])
    facts.push(['Manifest last updated', acr.manifest.lastUpdateTime])
    facts.push(['Manifest locks', lockState(acr.manifest.changeableAttributes)])
  }
  const annotationTable = {
    caption: 'Annotations',
    header: ['Key', 'Value'],
    rows: Object.entries(manifest.annotations ?? {})
  }
  const referrerTable = {
    caption: 'Referrers',
    header: ['Artifact type', 'Digest'],
    rows: referrers.map(r => [r.artifactType ?? r.mediaType, r.digest])
  }

  if (isIndex(manifest)) {
    const platforms = manifest.manifests.map(m => ({
      digest: m.digest,
      mediaType: m.mediaType,
      size: m.size,
      platform: m.platform ? formatPlatform(m.platform) : undefined
    }))
    const selected = manifest.manifests.find(
      m => m.platform && matchesPlatform(m.platform, platform)
    )
    facts.push(['Manifests', String(manifest.manifests.length)])
    if (selected) facts.push([`Image for ${formatPlatform(platform)}`, selected.digest])
    return {
      outputs: { digest: descriptor.digest },
      result: { ...common, kind: 'index', manifests: platforms, platformDigest: selected?.digest },
      report: {
        title: `Index ${client.host}/${repository}:${reference}`,
        facts,
        tables: [
          {
            caption: 'Manifests',
            header: ['Platform', 'Digest', 'Media type', 'Size'],
            rows: platforms.map(p => [p.platform ?? '-', p.digest, p.mediaType, String(p.size)])
          },
          annotationTable,
          referrerTable
        ]
      }
    }
  }

  const layers = manifest.layers.map(layer => ({
    mediaType: layer.mediaType,
    digest: layer.digest,
    size: layer.size,
    title: layer.annotations?.[titleAnnotation]
  }))
  const totalSize = sizeOf([manifest.config, ...manifest.layers])
  facts.push(['Config', `${manifest.config.mediaType} ${manifest.config.digest}`])
  facts.push(['Layers', `${layers.length} (${totalSize} bytes with config)`])
  return {
    outputs: { digest: descriptor.digest },
    result: { ...common, kind: 'manifest', config: manifest.config, layers, totalSize },
    report: {
      title: `Manifest ${client.host}/${repository}:${reference}`,
      facts,
      tables: [
        {
          caption: 'Layers',
          header: ['Title', 'Media type', 'Size', 'Digest'],
          rows: layers.map(l => [l.title ?? '-', l.mediaType, String(l.size), l.digest])
        },
        annotationTable,
        referrerTable
      ]
    }
  }
}

// A detail the registry may refuse (an identity without metadata_read, say)
// is left out with a warning; the rest of the inspection still stands.
async function optional<T>(
  log: Logger,
  what: string,
  read: () => Promise<T>
): Promise<T | undefined> {
  try {
    return await read()
  } catch (error) {
    log.warning(`${what} left out: ${(error as Error).message}`)
    return undefined
  }
}

function sizeOf(descriptors: Descriptor[]): number {
  return descriptors.reduce((sum, d) => sum + d.size, 0)
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/')
}

export function matchesPlatform(candidate: Platform, wanted: Platform): boolean {
  return (
    candidate.os === wanted.os &&
    candidate.architecture === wanted.architecture &&
    (wanted.variant === undefined || candidate.variant === wanted.variant)
  )
}
