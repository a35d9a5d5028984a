// What a repository holds, as images: every manifest with its tags, the
// children each index lists, and so which manifests are top-level images.
// On ACR the metadata API lists every manifest, tagged or not; elsewhere only
// what tags point at can be found. An index that cannot be read fails the
// whole read: guessing its children could delete what it needs.

import type { AcrMetadataClient } from '../registry/acr-metadata.js'
import type { RegistryClient } from '../registry/client.js'
import { getManifest, headManifest } from '../registry/manifests.js'
import { isIndexMediaType } from '../registry/media-types.js'
import { listTags } from '../registry/tags.js'
import { isIndex } from '../registry/types.js'
import { inPool } from './pool.js'

export interface RepositoryManifest {
  digest: string
  mediaType: string
  tags: string[]
  lastUpdateTime?: string
  /** For an index: the digests it lists. */
  children: string[]
}

export interface RepositoryImages {
  manifests: Map<string, RepositoryManifest>
  /** Every digest some index lists. */
  children: Set<string>
  /** Manifests no index lists: the images. */
  topLevel: string[]
}

export async function imagesOf(
  client: RegistryClient,
  metadata: AcrMetadataClient | undefined,
  repository: string,
  concurrency = 8
): Promise<RepositoryImages> {
  const manifests = new Map<string, RepositoryManifest>()
  if (metadata) {
    for await (const m of metadata.manifests(repository)) {
      manifests.set(m.digest, {
        digest: m.digest,
        mediaType: m.mediaType ?? '',
        tags: m.tags ?? [],
        lastUpdateTime: m.lastUpdateTime,
        children: []
      })
    }
  } else {
    const tags = await listTags(client, repository)
    const found = await inPool(tags, concurrency, tag => headManifest(client, repository, tag))
    tags.forEach((tag, i) => {
      const d = found[i]
      if (!d) return
      const known = manifests.get(d.digest)
      if (known) known.tags.push(tag)
      else
        manifests.set(d.digest, {
          digest: d.digest,
          mediaType: d.mediaType,
          tags: [tag],
          children: []
        })
    })
  }
  const indexes = [...manifests.values()].filter(
    m => isIndexMediaType(m.mediaType) || m.mediaType === ''
  )
  await inPool(indexes, concurrency, async entry => {
    const { manifest } = await getManifest(client, repository, entry.digest)
    if (isIndex(manifest)) entry.children = manifest.manifests.map(c => c.digest)
  })
  const children = new Set([...manifests.values()].flatMap(m => m.children))
  return {
    manifests,
    children,
    topLevel: [...manifests.keys()].filter(d => !children.has(d))
  }
}

/** The tagged indexes that list `digest`, directly or through a nested index. */
export function referringIndexes(
  images: RepositoryImages,
  digest: string
): Array<{ digest: string; tags: string[] }> {
  const found: Array<{ digest: string; tags: string[] }> = []
  for (const index of images.manifests.values()) {
    if (index.tags.length === 0 || index.children.length === 0) continue
    if (descendants(images, index.digest).has(digest))
      found.push({ digest: index.digest, tags: index.tags })
  }
  return found
}

function descendants(images: RepositoryImages, root: string): Set<string> {
  const seen = new Set<string>()
  const walk = (digest: string): void => {
    for (const child of images.manifests.get(digest)?.children ?? []) {
      if (seen.has(child)) continue
      seen.add(child)
      walk(child)
    }
  }
  walk(root)
  return seen
}
