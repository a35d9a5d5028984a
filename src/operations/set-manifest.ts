// set-manifest: PUT a manifest file's bytes exactly as they are, under each
// tag or by digest. Everything it refers to must be in the repository
// already; that is checked first, so a missing blob fails naming its digest
// and the registry is left as it was.

import { readFile, stat } from 'node:fs/promises'
import { sha256Digest } from '../content/digest.js'
import { InputError, type SetManifestInputs } from '../inputs.js'
import { headBlob } from '../registry/blobs.js'
import { headManifest, maxManifestBytes } from '../registry/manifests.js'
import { mediaTypes } from '../registry/media-types.js'
import { formatReference } from '../registry/reference.js'
import type { Descriptor, Manifest } from '../registry/types.js'
import { formatBytes } from '../report/progress.js'
import type { OperationContext, OperationResult } from './context.js'
import { inPool } from './pool.js'
import { checkWritable, publishManifest } from './push/publish.js'

export interface ManifestFile {
  bytes: Buffer
  digest: string
  mediaType: string
  manifest: Manifest
}

/** Reads and checks the file before any request. */
export async function readManifestFile(path: string): Promise<ManifestFile> {
  const size = (await stat(path).catch(() => undefined))?.size
  if (size === undefined) throw new InputError('manifest', `${path} does not exist`)
  if (size > maxManifestBytes) {
    throw new InputError('manifest', `${path} is ${size} bytes; a manifest may be at most 4 MiB`)
  }
  const bytes = await readFile(path)
  let manifest: Manifest & { mediaType?: unknown }
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as Manifest
  } catch (error) {
    throw new InputError('manifest', `${path} is not JSON: ${(error as Error).message}`)
  }
  const declared = typeof manifest.mediaType === 'string' ? manifest.mediaType : undefined
  const mediaType =
    declared ??
    ('manifests' in manifest
      ? mediaTypes.ociIndex
      : 'config' in manifest
        ? mediaTypes.ociManifest
        : undefined)
  if (mediaType === undefined) {
    throw new InputError(
      'manifest',
      `${path} has no mediaType, and neither manifests (an index) nor config (an image manifest) says what it is`
    )
  }
  return { bytes, digest: sha256Digest(bytes), mediaType, manifest }
}

export async function setManifest(
  inputs: SetManifestInputs,
  file: ManifestFile,
  { client, metadata, log }: OperationContext
): Promise<OperationResult> {
  const { repository, tags } = inputs
  await checkWritable(metadata, repository, tags)
  await requireReferences(client, repository, file.manifest, inputs.concurrency)
  const published = await publishManifest(
    client,
    repository,
    {
      bytes: file.bytes,
      mediaType: file.mediaType,
      ...(file.manifest.artifactType ? { artifactType: file.manifest.artifactType } : {}),
      ...(file.manifest.annotations ? { annotations: file.manifest.annotations } : {}),
      ...(file.manifest.subject ? { subject: file.manifest.subject } : {})
    },
    tags
  )
  const reference = formatReference(client.host, repository, published.digest)
  log.info(
    `set ${reference} (${file.mediaType}, ${file.bytes.length} bytes)${tags.length ? ` as ${tags.join(', ')}` : ''}`
  )
  return {
    outputs: { digest: published.digest, reference, tags: tags.join(',') },
    result: {
      operation: 'set-manifest',
      digest: published.digest,
      reference,
      mediaType: file.mediaType,
      size: file.bytes.length,
      tags
    },
    report: {
      title: `Set manifest ${client.host}/${repository}`,
      facts: [
        ['Reference', reference],
        ['Digest', published.digest],
        ['Media type', file.mediaType],
        ['Size', formatBytes(file.bytes.length)],
        ['Tags', tags.length > 0 ? tags.join(', ') : '(none: by digest)']
      ],
      tables: []
    }
  }
}

/** The error for the first thing the manifest refers to that the repository lacks. */
export class MissingReferenceError extends Error {
  override readonly name = 'MissingReferenceError'
}

async function requireReferences(
  client: OperationContext['client'],
  repository: string,
  manifest: Manifest,
  concurrency: number
): Promise<void> {
  const blobs: Descriptor[] =
    'manifests' in manifest ? [] : [manifest.config, ...(manifest.layers ?? [])].filter(Boolean)
  const children: Descriptor[] = 'manifests' in manifest ? manifest.manifests : []
  const subject = manifest.subject
  const checks: Array<{ kind: string; descriptor: Descriptor }> = [
    ...blobs.filter(d => !d.urls?.length).map(descriptor => ({ kind: 'blob', descriptor })),
    ...children.map(descriptor => ({ kind: 'manifest', descriptor })),
    ...(subject ? [{ kind: 'subject manifest', descriptor: subject }] : [])
  ]
  const found = await inPool(checks, concurrency, async ({ kind, descriptor }) =>
    kind === 'blob'
      ? (await headBlob(client, repository, descriptor.digest)) !== undefined
      : (await headManifest(client, repository, descriptor.digest)) !== undefined
  )
  const missing = checks.find((_, i) => !found[i])
  if (missing) {
    throw new MissingReferenceError(
      `the manifest refers to ${missing.kind} ${missing.descriptor.digest}, which ${client.host}/${repository} does not have: push it first`
    )
  }
}
