// A read-only picture of one repository, all prune plans from: every
// manifest with its tags, time, size and locks (ACR's /acr/v1), the children
// of each index, and the subject of each untagged manifest (OCI referrers are
// artifacts of an image, not images). Anything unreadable fails the whole
// snapshot, so the repository is skipped rather than guessed at.

import type { AcrMetadataClient, ChangeableAttributes } from '../../registry/acr-metadata.js'
import type { RegistryClient } from '../../registry/client.js'
import { getManifest } from '../../registry/manifests.js'
import { isIndexMediaType } from '../../registry/media-types.js'
import { isIndex } from '../../registry/types.js'
import { blockingAttribute } from '../locks.js'
import { inPool } from '../pool.js'

export interface SnapshotManifest {
  digest: string
  mediaType: string
  tags: string[]
  lastUpdateTime: string
  size: number
  /** For an index: what it lists. */
  children: string[]
  /** For a referrer: the digest of its subject. */
  subject?: string
  /** What locks it against a delete, in words; undefined when nothing does. */
  locked?: string
}

export interface RepositorySnapshot {
  repository: string
  manifests: Map<string, SnapshotManifest>
}

export async function readSnapshot(
  client: RegistryClient,
  metadata: AcrMetadataClient,
  repository: string,
  concurrency: number
): Promise<RepositorySnapshot> {
  const manifests = new Map<string, SnapshotManifest>()
  for await (const m of metadata.manifests(repository)) {
    manifests.set(m.digest, {
      digest: m.digest,
      mediaType: m.mediaType ?? '',
      tags: [...(m.tags ?? [])].sort(),
      lastUpdateTime: m.lastUpdateTime,
      size: m.imageSize ?? 0,
      children: [],
      ...lockOf('manifest', m.changeableAttributes)
    })
  }
  for await (const tag of metadata.tags(repository)) {
    const manifest = manifests.get(tag.digest)
    if (manifest === undefined || manifest.locked) continue
    const lock = lockOf(`tag ${tag.name}`, tag.changeableAttributes)
    if (lock.locked) manifest.locked = lock.locked
  }
  // Indexes for their children; untagged images for a subject that makes them referrers.
  const toRead = [...manifests.values()].filter(
    m => isIndexMediaType(m.mediaType) || m.mediaType === '' || m.tags.length === 0
  )
  await inPool(toRead, concurrency, async entry => {
    const { manifest } = await getManifest(client, repository, entry.digest)
    if (isIndex(manifest)) entry.children = manifest.manifests.map(c => c.digest)
    if (manifest.subject?.digest) entry.subject = manifest.subject.digest
  })
  return { repository, manifests }
}

function lockOf(where: string, attributes: ChangeableAttributes | undefined): { locked?: string } {
  const attribute = blockingAttribute(attributes, 'delete')
  return attribute ? { locked: `${where} ${attribute}: false` } : {}
}
