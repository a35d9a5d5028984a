// What the push benchmark pushes: random files (different bytes in each, so
// nothing deduplicates), their digests computed before any timing, one
// manifest that makes each file one layer, and the same content as an OCI
// image layout for skopeo, whose blobs are hard links to the very files.

import { createHash, randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { link, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { mediaTypes } from '../src/registry/media-types.js'

export interface BlobFile {
  path: string
  digest: string
  size: number
}

export interface Layer extends BlobFile {
  /** The file's name relative to the pushed folder. */
  title: string
}

export interface PushContent {
  id: string
  /** How the table names it, e.g. `1 GiB` or `200 × 1 MiB`. */
  label: string
  /** The folder the action pushes from (`path`), holding only the layers' files. */
  folder: string
  /** The action's `files` input. */
  filesInput: string
  layers: Layer[]
  /** The empty config, as a file outside `folder`. */
  config: BlobFile
  /** The manifest bytes, as a file outside `folder`. */
  manifest: BlobFile
  /** An OCI image layout holding this image under the tag `bench`. */
  layout: string
}

const MiB = 1024 * 1024
const TITLE = 'org.opencontainers.image.title'
export const LAYOUT_TAG = 'bench'

export function sizeLabel(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`
}

export async function makeContent(
  dir: string,
  id: string,
  label: string,
  files: Array<{ name: string; mib: number }>,
  filesInput: string
): Promise<PushContent> {
  const folder = join(dir, 'files')
  await mkdir(folder, { recursive: true })
  const layers: Layer[] = []
  for (const file of files) {
    const path = join(folder, file.name)
    layers.push({
      title: file.name,
      path,
      size: file.mib * MiB,
      digest: await writeRandom(path, file.mib)
    })
  }
  const config = await writeSmall(join(dir, 'config.json'), '{}')
  const manifestJson = JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: mediaTypes.ociEmpty, digest: config.digest, size: config.size },
    layers: layers.map(layer => ({
      mediaType: mediaTypes.ociLayerTar,
      digest: layer.digest,
      size: layer.size,
      annotations: { [TITLE]: layer.title }
    }))
  })
  const manifest = await writeSmall(join(dir, 'manifest.json'), manifestJson)
  const layout = await writeLayout(join(dir, 'layout'), [...layers, config, manifest], manifest)
  return { id, label, folder, filesInput, layers, config, manifest, layout }
}

async function writeRandom(path: string, mib: number): Promise<string> {
  const hash = createHash('sha256')
  const out = createWriteStream(path)
  for (let i = 0; i < mib; i++) {
    // A fresh buffer each MiB: the stream may still hold the previous one.
    const part = randomFillSync(Buffer.allocUnsafe(MiB))
    hash.update(part)
    if (!out.write(part)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return `sha256:${hash.digest('hex')}`
}

async function writeSmall(path: string, text: string): Promise<BlobFile> {
  const bytes = Buffer.from(text, 'utf8')
  await writeFile(path, bytes)
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  return { path, digest, size: bytes.length }
}

async function writeLayout(dir: string, blobs: BlobFile[], manifest: BlobFile): Promise<string> {
  const store = join(dir, 'blobs', 'sha256')
  await mkdir(store, { recursive: true })
  // Links, not copies: skopeo reads the same bytes the others read, and a
  // 1 GiB file is not stored twice.
  for (const blob of blobs) await link(blob.path, join(store, blob.digest.slice('sha256:'.length)))
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: mediaTypes.ociManifest,
        digest: manifest.digest,
        size: manifest.size,
        annotations: { 'org.opencontainers.image.ref.name': LAYOUT_TAG }
      }
    ]
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify(index))
  return dir
}
