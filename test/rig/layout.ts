import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

// Helpers for OCI image layouts on disk (image-spec image-layout.md), which is
// what umoci builds and what skopeo copies from with the `oci:` transport.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const REF_NAME = 'org.opencontainers.image.ref.name'

export interface Platform {
  architecture: string
  os: string
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  platform?: Platform
}

interface LayoutIndex {
  schemaVersion: number
  manifests: Descriptor[]
}

/** Splits `path:tag` at the last colon, the form umoci and skopeo's `oci:` share. */
export function splitLayoutRef(layoutRef: string): { layout: string; tag: string } {
  const colon = layoutRef.lastIndexOf(':')
  if (colon <= 0) throw new Error(`not a layout reference (path:tag): ${layoutRef}`)
  return { layout: layoutRef.slice(0, colon), tag: layoutRef.slice(colon + 1) }
}

async function readLayoutIndex(layout: string): Promise<LayoutIndex> {
  return JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as LayoutIndex
}

/** The descriptor a tag in a layout points to, without the layout's ref-name annotation. */
export async function findDescriptor(layoutRef: string): Promise<Descriptor> {
  const { layout, tag } = splitLayoutRef(layoutRef)
  const found = (await readLayoutIndex(layout)).manifests.find(
    descriptor => descriptor.annotations?.[REF_NAME] === tag
  )
  if (!found) throw new Error(`no tag ${tag} in layout ${layout}`)
  return { mediaType: found.mediaType, digest: found.digest, size: found.size }
}

/** Stores `content` as a blob under its sha256 and returns a descriptor for it. */
export async function writeBlob(
  layout: string,
  mediaType: string,
  content: string | Buffer
): Promise<Descriptor> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  const hex = createHash('sha256').update(bytes).digest('hex')
  const blobs = join(layout, 'blobs', 'sha256')
  await mkdir(blobs, { recursive: true })
  await writeFile(join(blobs, hex), bytes)
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length }
}

/** Points `tag` at `descriptor` in the layout's index.json and returns `layout:tag`. */
export async function tagDescriptor(
  layout: string,
  tag: string,
  descriptor: Descriptor
): Promise<string> {
  const index = await readLayoutIndex(layout)
  const others = index.manifests.filter(entry => entry.annotations?.[REF_NAME] !== tag)
  const tagged = { ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME]: tag } }
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({ ...index, manifests: [...others, tagged] })
  )
  return `${layout}:${tag}`
}
