// Puts a manifest in place under each tag (or by digest alone), and keeps the
// referrers of its subject findable on registries without the referrers API.
// On ACR, tag locks are read first so that a locked tag fails the step before
// any blob is sent, rather than after.

import { AuthError } from '../../auth/errors.js'
import { sha256Digest } from '../../content/digest.js'
import type { AcrMetadataClient } from '../../registry/acr-metadata.js'
import type { RegistryClient } from '../../registry/client.js'
import { RegistryError } from '../../registry/errors.js'
import { getManifest, writeManifest } from '../../registry/manifests.js'
import { mediaTypes } from '../../registry/media-types.js'
import { isIndex, type Descriptor, type ImageIndex } from '../../registry/types.js'
import type { Logger } from '../context.js'

/** A tag or repository that ACR will not let this push change. */
export class LockedError extends Error {
  override readonly name = 'LockedError'
}

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
  tags: string[],
  log: Logger
): Promise<void> {
  if (metadata === undefined) return
  try {
    const repo = await metadata.getRepository(repository)
    if (repo.changeableAttributes?.writeEnabled === false) {
      throw new LockedError(
        `${repository} is locked (writeEnabled: false on the repository): lift it with operation: unlock and no tag, then push again`
      )
    }
  } catch (error) {
    if (!tolerable(error, log, repository)) throw error
  }
  for (const tag of tags) {
    try {
      const properties = await metadata.getTag(repository, tag)
      if (properties.changeableAttributes?.writeEnabled === false) throw lockedTag(repository, tag)
    } catch (error) {
      if (!tolerable(error, log, `${repository}:${tag}`)) throw error
    }
  }
}

// A tag or repository that does not exist yet cannot be locked; an identity
// without metadata_read cannot look, and the PUT's answer still tells.
function tolerable(error: unknown, log: Logger, what: string): boolean {
  if (error instanceof LockedError) return false
  if (error instanceof RegistryError && error.notFound) return true
  if (error instanceof RegistryError || error instanceof AuthError) {
    log.debug(`locks of ${what} not read: ${error.message}`)
    return true
  }
  return false
}

function lockedTag(repository: string, tag: string): LockedError {
  return new LockedError(
    `tag ${repository}:${tag} is locked (writeEnabled: false): lift it with operation: unlock and tag: ${tag}, then push again`
  )
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
