// A read-only picture of one repository, all prune plans from: every
// manifest with its tags, time, size and locks (ACR's /acr/v1), the children
// of each index, and the subject of each untagged manifest (OCI referrers are
// artifacts of an image, not images). Anything unreadable fails the whole
// snapshot, so the repository is skipped rather than guessed at.

import type { AcrMetadataClient, ChangeableAttributes } from '../../registry/acr-metadata.js'
import type { RegistryClient } from '../../registry/client.js'
import { getManifest } from '../../registry/manifests.js'
import { isIndexMediaType, mediaTypes } from '../../registry/media-types.js'
import { collect } from '../../registry/paging.js'
import { listReferrers } from '../../registry/referrers.js'
import { isIndex } from '../../registry/types.js'
import { blockingAttribute } from '../locks.js'
import { inPool } from '../pool.js'
import { subjectOfTags } from './plan.js'

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
  /** Whether its content was read, so that `subject` is known rather than assumed absent. */
  read?: boolean
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
  // The tags are listed while the manifests are: two round trips at once, not one after the other.
  const tagList = collect(metadata.tags(repository))
  tagList.catch(() => undefined)
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
  for (const tag of await tagList) {
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
    await readContent(client, repository, entry)
  })
  return { repository, manifests }
}

async function readContent(
  client: RegistryClient,
  repository: string,
  entry: SnapshotManifest
): Promise<void> {
  const { manifest } = await getManifest(client, repository, entry.digest)
  if (isIndex(manifest)) entry.children = manifest.manifests.map(c => c.digest)
  if (manifest.subject?.digest) entry.subject = manifest.subject.digest
  entry.read = true
}

/**
 * A tagged OCI manifest may be a referrer (an SBOM pushed with a tag), and a
 * referrer must not take an image's place among the newest. The newest
 * manifests are read, a batch at a time, until `keepCount` of them are known
 * to be images: a handful of reads, where reading every manifest would cost
 * one per image. Docker manifests cannot have a subject and are not read.
 */
export async function readNewest(
  client: RegistryClient,
  snapshot: RepositorySnapshot,
  keepCount: number,
  concurrency: number
): Promise<void> {
  const children = new Set([...snapshot.manifests.values()].flatMap(m => m.children))
  const ranked = [...snapshot.manifests.values()]
    .filter(m => !children.has(m.digest))
    .sort((a, b) =>
      a.lastUpdateTime !== b.lastUpdateTime
        ? a.lastUpdateTime > b.lastUpdateTime
          ? -1
          : 1
        : a.digest < b.digest
          ? -1
          : 1
    )
  for (;;) {
    // The shortest run of the newest that holds keepCount manifests not known to be referrers.
    const window: SnapshotManifest[] = []
    let images = 0
    for (const m of ranked) {
      if (images >= keepCount) break
      window.push(m)
      if (m.subject === undefined && subjectOfTags(m.tags) === undefined) images++
    }
    const unread = window.filter(m => !m.read && m.mediaType === mediaTypes.ociManifest)
    if (unread.length === 0) return
    await inPool(unread, concurrency, entry => readContent(client, snapshot.repository, entry))
  }
}

/**
 * The referrers of every image the plan keeps, from the registry's referrers
 * API: they are artifacts of that image and stay with it. Returns whether any
 * manifest turned out to be one, so the plan is made again.
 */
export async function markReferrersOf(
  client: RegistryClient,
  snapshot: RepositorySnapshot,
  kept: string[],
  concurrency: number
): Promise<boolean> {
  let changed = false
  await inPool(kept, concurrency, async digest => {
    for (const referrer of await listReferrers(client, snapshot.repository, digest)) {
      const entry = snapshot.manifests.get(referrer.digest)
      if (entry && entry.subject === undefined) {
        entry.subject = digest
        changed = true
      }
    }
  })
  return changed
}

function lockOf(where: string, attributes: ChangeableAttributes | undefined): { locked?: string } {
  const attribute = blockingAttribute(attributes, 'delete')
  return attribute ? { locked: `${where} ${attribute}: false` } : {}
}
