// What the tag being pushed holds now, as a hint for the uploads. A large
// file whose title and size match a layer there is likely unchanged: its hash
// is awaited before anything is sent, so an unchanged push sends nothing and
// the hash has the CPU to itself. Any other large file starts uploading at
// once while it hashes, so a new file costs one pass over the wire. Only a
// hint: the HEAD after hashing decides, and a tag that cannot be read gives
// none.

import type { RegistryClient } from '../../registry/client.js'
import { getManifest } from '../../registry/manifests.js'
import { isIndex } from '../../registry/types.js'
import { titleAnnotation } from './files-plan.js'

export type LikelyUnchanged = (title: string, size: number) => boolean

export const noHint: LikelyUnchanged = () => false

export async function tagHint(
  client: RegistryClient,
  repository: string,
  tag: string | undefined
): Promise<LikelyUnchanged> {
  if (tag === undefined) return noHint
  let manifest
  try {
    ;({ manifest } = await getManifest(client, repository, tag))
  } catch {
    // A new tag, or one that cannot be read: nothing to go by.
    return noHint
  }
  if (isIndex(manifest)) return noHint
  const known = new Set(
    manifest.layers.map(layer => `${layer.annotations?.[titleAnnotation] ?? ''}\0${layer.size}`)
  )
  return (title, size) => known.has(`${title}\0${size}`)
}
