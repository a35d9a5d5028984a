// Puts a manifest in place under each tag (or by digest alone), and keeps the
// referrers of its subject findable on registries without the referrers API.
// On ACR, locks are read first so that a locked tag fails the step before
// any blob is sent, rather than after.

import { sha256Digest } from '../../content/digest.js'
import type { AcrMetadataClient } from '../../registry/acr-metadata.js'
import type { RegistryClient } from '../../registry/client.js'
import { RegistryError } from '../../registry/errors.js'
import { getManifest, writeManifest } from '../../registry/manifests.js'
import { mediaTypes } from '../../registry/media-types.js'
import { isIndex, type Descriptor, type ImageIndex } from '../../registry/types.js'
import { findLock, lockedError, type LockedError } from '../locks.js'

export interface Publication {
  digest: string
  mediaType: string
  size: number
  tags: string[]
}

export interface ManifestToPublish {
  bytes: Buffer
  mediaType: string
  /** For the referrers index entry of a manifest with a subject. */
  artifactType?: string
  annotations?: Record<string, string>
  subject?: Descriptor
}

/** Fails with LockedError when ACR says a tag or the repository is write-locked. */
export async function checkWritable(
  metadata: AcrMetadataClient | undefined,
  repository: string,
  tags: string[]
): Promise<void> {
  if (metadata === undefined) return
  for (const tag of tags.length > 0 ? tags : [undefined]) {
    const lock = await findLock(metadata, repository, 'write', tag === undefined ? {} : { tag })
    if (lock) throw lockedError(repository, `push ${repository}${tag ? `:${tag}` : ''}`, lock)
  }
}

function lockedTag(repository: string, tag: string): LockedError {
  return lockedError(repository, `push ${repository}:${tag}`, {
    on: 'tag',
    name: tag,
    attribute: 'writeEnabled'
  })
}

export async function publishManifest(
  client: RegistryClient,
  repository: string,
  manifest: ManifestToPublish,
  tags: string[]
): Promise<Publication> {
  let digest: string | undefined
  let subjectIndexed = false
  for (const reference of tags.length > 0 ? tags : [undefined]) {
    try {
      const written = await writeManifest(
        client,
        repository,
        reference ?? sha256Digest(manifest.bytes),
        manifest.bytes,
        manifest.mediaType
      )
      digest = written.digest
      subjectIndexed ||= written.subjectIndexed
    } catch (error) {
      if (reference !== undefined && error instanceof RegistryError && error.disallowed) {
        throw lockedTag(repository, reference)
      }
      throw error
    }
  }
  const published = {
    digest: digest ?? sha256Digest(manifest.bytes),
    mediaType: manifest.mediaType,
    size: manifest.bytes.length,
    tags
  }
  if (manifest.subject && !subjectIndexed) {
    await addToReferrersTag(client, repository, manifest.subject, {
      mediaType: manifest.mediaType,
      digest: published.digest,
      size: published.size,
      ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
      ...(manifest.annotations && Object.keys(manifest.annotations).length > 0
        ? { annotations: manifest.annotations }
        : {})
    })
  }
  return published
}

// The distribution spec's fallback: an index tagged `<alg>-<hex>` of the
// subject lists its referrers. Read, add, write back; an entry already there
// is not added twice.
async function addToReferrersTag(
  client: RegistryClient,
  repository: string,
  subject: Descriptor,
  referrer: Descriptor
): Promise<void> {
  const tag = subject.digest.replace(':', '-')
  let index: ImageIndex = { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] }
  try {
    const { manifest } = await getManifest(client, repository, tag)
    if (isIndex(manifest)) index = manifest
  } catch (error) {
    if (!(error instanceof RegistryError && error.notFound)) throw error
  }
  if (index.manifests.some(entry => entry.digest === referrer.digest)) return
  const updated: ImageIndex = { ...index, manifests: [...index.manifests, referrer] }
  const bytes = Buffer.from(JSON.stringify(updated))
  await writeManifest(client, repository, tag, bytes, mediaTypes.ociIndex)
}
