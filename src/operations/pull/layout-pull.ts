// pull with `format: oci-layout`: the image, or the index with every
// platform (only the one `platform` names, when given), written as an OCI
// image layout rooted at `path`. Blobs and manifests go to `blobs/<alg>/<hex>`
// verified; `index.json` is written last, atomically, naming the image with
// `org.opencontainers.image.ref.name`, and keeps the other images a layout
// already held.

import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathInside } from '../../content/safe-path.js'
import { partialPathFor } from '../../registry/blob-download.js'
import type { RegistryClient } from '../../registry/client.js'
import { getManifest, type FetchedManifest } from '../../registry/manifests.js'
import { mediaTypes } from '../../registry/media-types.js'
import { isIndex, type Descriptor, type ImageIndex } from '../../registry/types.js'
import { fetchBlobs, type FetchContext, type FetchedBlob } from './fetch-blobs.js'

export const refNameAnnotation = 'org.opencontainers.image.ref.name'

export interface LayoutOutcome {
  root: Descriptor
  manifests: FetchedManifest[]
  blobs: FetchedBlob[]
  files: string[]
}

export async function pullLayout(
  client: RegistryClient,
  repository: string,
  root: FetchedManifest,
  refName: string | undefined,
  base: string,
  context: FetchContext
): Promise<LayoutOutcome> {
  const manifests = await collectManifests(client, repository, root)
  const blobs = uniqueBlobs(manifests)
  // Every path goes through pathInside: a link planted at blobs/ or blobs/sha256/
  // must not carry the layout somewhere else.
  const paths = new Map<string, string>()
  for (const digest of new Set([
    ...manifests.map(m => m.descriptor.digest),
    ...blobs.map(b => b.digest)
  ])) {
    paths.set(digest, await pathInside(base, blobFile(digest)))
  }
  const files = [...paths.keys()].map(blobFile)
  const fetched = await fetchBlobs(
    blobs.map(b => ({
      digest: b.digest,
      size: b.size,
      destination: join(base, blobFile(b.digest))
    })),
    context
  )
  for (const manifest of manifests) {
    await writeAtomically(paths.get(manifest.descriptor.digest) ?? '', manifest.bytes)
  }
  await writeAtomically(join(base, 'oci-layout'), Buffer.from('{"imageLayoutVersion":"1.0.0"}'))
  const entry: Descriptor = {
    mediaType: root.descriptor.mediaType,
    digest: root.descriptor.digest,
    size: root.descriptor.size,
    ...(refName ? { annotations: { [refNameAnnotation]: refName } } : {})
  }
  await writeAtomically(
    join(base, 'index.json'),
    Buffer.from(JSON.stringify(await withEntry(base, entry)))
  )
  files.push('index.json', 'oci-layout')
  return { root: entry, manifests, blobs: fetched, files: [...new Set(files)].sort() }
}

/** The root and, for an index, every manifest under it, children before parents. */
async function collectManifests(
  client: RegistryClient,
  repository: string,
  root: FetchedManifest
): Promise<FetchedManifest[]> {
  const all: FetchedManifest[] = []
  const seen = new Set<string>()
  const visit = async (manifest: FetchedManifest): Promise<void> => {
    if (seen.has(manifest.descriptor.digest)) return
    seen.add(manifest.descriptor.digest)
    if (isIndex(manifest.manifest)) {
      for (const child of manifest.manifest.manifests) {
        await visit(await getManifest(client, repository, child.digest))
      }
    }
    all.push(manifest)
  }
  await visit(root)
  return all
}

function uniqueBlobs(manifests: FetchedManifest[]): Descriptor[] {
  const blobs = new Map<string, Descriptor>()
  for (const { manifest } of manifests) {
    if (isIndex(manifest)) continue
    for (const d of [manifest.config, ...manifest.layers]) {
      // A foreign layer lives elsewhere (its urls); a layout may go without it.
      if (!d.urls?.length) blobs.set(d.digest, d)
    }
  }
  return [...blobs.values()]
}

function blobFile(digest: string): string {
  const [algorithm, hex] = digest.split(':')
  return `blobs/${algorithm}/${hex}`
}

// The layout's index keeps what it named before, except an entry of the same
// ref name (or, without one, of the same digest), which this pull replaces.
async function withEntry(base: string, entry: Descriptor): Promise<ImageIndex> {
  let index: ImageIndex = { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] }
  try {
    const existing = JSON.parse(await readFile(join(base, 'index.json'), 'utf8')) as ImageIndex
    if (Array.isArray(existing.manifests)) index = existing
  } catch {
    // No layout here yet, or not one we can read: this pull starts one.
  }
  const name = entry.annotations?.[refNameAnnotation]
  const others = index.manifests.filter(m =>
    name === undefined ? m.digest !== entry.digest : m.annotations?.[refNameAnnotation] !== name
  )
  return { ...index, manifests: [...others, entry] }
}

async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  const partial = partialPathFor(path)
  try {
    await writeFile(partial, bytes, { flag: 'wx' })
    await rename(partial, path)
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
}
