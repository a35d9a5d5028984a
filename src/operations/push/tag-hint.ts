// What the tag being pushed holds now, as a hint for the uploads. A large
// file whose title and size match a layer there is likely unchanged: its hash
// is awaited before anything is sent, so an unchanged push sends nothing and
// the hash has the CPU to itself. Any other large file starts uploading at
// once while it hashes, so a new file costs one pass over the wire. Without
// any readable tag the upload starts at once too: a wasted start costs an
// unchanged file a few requests, a head start costs every new file half a
// second. Only a hint: the HEAD after hashing decides.

import type { RegistryClient } from '../../registry/client.js'
import { getManifest } from '../../registry/manifests.js'
import { isIndex, type Manifest } from '../../registry/types.js'
import { titleAnnotation } from './files-plan.js'

export type LikelyUnchanged = (title: string, size: number) => boolean

export const noHint: LikelyUnchanged = () => false

export async function tagHint(
  client: RegistryClient,
  repository: string,
  tags: string[]
): Promise<LikelyUnchanged> {
  for (const tag of tags) {
    let manifest: Manifest
    try {
      ;({ manifest } = await getManifest(client, repository, tag))
    } catch {
      // A new tag, or one that cannot be read: the next may say more.
      continue
    }
    // An index, or a manifest of another kind, lists no files to go by.
    if (isIndex(manifest) || !Array.isArray(manifest.layers)) return noHint
    const known = new Set(
      manifest.layers.map(layer => `${layer.annotations?.[titleAnnotation] ?? ''}\0${layer.size}`)
    )
    return (title, size) => known.has(`${title}\0${size}`)
  }
  return noHint
}
