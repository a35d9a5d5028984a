// Reads an OCI image layout (image-spec image-layout.md): `oci-layout`,
// `index.json`, and content under `blobs/<algorithm>/<hex>`. The result is
// also the shape a docker save archive is converted into: blobs and
// manifests by digest, in the order a push needs them.

import type { Readable } from 'node:stream'
import { digestLike, isDigest } from './digest.js'
import type { BlobSource } from '../registry/blobs.js'
import { mediaTypes } from '../registry/media-types.js'
import type { Descriptor } from '../registry/types.js'

/** A manifest or index, byte for byte as it is pushed. */
export interface SourceManifest {
  digest: string
  mediaType: string
  bytes: Buffer
}

export type SourceBlob = BlobSource & { mediaType: string }

export interface ImageSource {
  /** Every blob (configs, layers) any manifest needs, each digest once, with its media type. */
  blobs: SourceBlob[]
  /** Every manifest in push order: children before the index that lists them; the last one is `root`. */
  manifests: SourceManifest[]
  /** The image manifest or index to tag. */
  root: SourceManifest
  /** e.g. 'oci-layout folder', 'oci-layout tar', 'docker save (classic)', 'docker save (OCI)' */
  kind: string
}

/** The image can't be read from what the user gave; the message names the path and the fault. */
export class ImageSourceError extends Error {
  override readonly name = 'ImageSourceError'
}

/** Files by `/`-separated relative name, in a folder or inside an archive. */
export interface LayoutFiles {
  /** The folder or archive, for messages. */
  readonly location: string
  /** The size of the regular file `name`, or undefined when there is none. */
  size(name: string): Promise<number | undefined>
  /** A stream of bytes `start` to `end` (inclusive) of `name`, all of them by default. */
  open(name: string, range?: { start: number; end: number }): Readable
  /** The whole file, for small ones; fails rather than read more than `maxBytes`. */
  read(name: string, maxBytes: number): Promise<Buffer>
}

// The limit registries put on manifests; a bigger one is refused unread.
export const maxManifestBytes = 4 * 1024 * 1024
const refNameKey = 'org.opencontainers.image.ref.name'
// What containerd and Docker 25+ write beside the ref name: the full image name.
const imageNameKey = 'io.containerd.image.name'

export function blobName(digest: string): string {
  const [algorithm, hex] = digest.split(':', 2)
  return `blobs/${algorithm}/${hex}`
}

/**
 * The image (or index) that `index.json` names, with everything under it.
 * `ref` chooses by `org.opencontainers.image.ref.name` when the layout holds
 * several different images; with one it is not needed and not consulted.
 */
export async function readOciLayout(
  files: LayoutFiles,
  kind: string,
  ref?: string
): Promise<ImageSource> {
  const fail = (what: string): never => {
    throw new ImageSourceError(`${files.location}: ${what}`)
  }
  const marker = await readJson(files, 'oci-layout', 64 * 1024, fail)
  if (typeof marker.imageLayoutVersion !== 'string') {
    fail('the oci-layout file has no imageLayoutVersion: not an OCI image layout')
  }
  const index = await readJson(files, 'index.json', maxManifestBytes, fail)
  if (!Array.isArray(index.manifests)) fail('index.json has no manifests list')
  const entries = (index.manifests as unknown[]).map(entry =>
    checkDescriptor(entry, 'index.json', fail)
  )
  const walker = new LayoutWalker(files, fail)
  await walker.manifest(pickRoot(entries, ref, fail), 'index.json')
  const root = walker.manifests.at(-1) ?? fail('index.json names no manifest')
  return { blobs: [...walker.blobs.values()], manifests: walker.manifests, root, kind }
}

function pickRoot(entries: Descriptor[], ref: string | undefined, fail: Fail): Descriptor {
  const first = entries[0] ?? fail('index.json lists no manifests')
  if (new Set(entries.map(entry => entry.digest)).size === 1) return first
  const names = entries.map(entry => entryName(entry)).join(', ')
  if (ref === undefined) {
    return fail(`index.json lists ${entries.length} images (${names}): say which one to push`)
  }
  const matching = entries.filter(
    entry => entry.annotations?.[refNameKey] === ref || entry.annotations?.[imageNameKey] === ref
  )
  const digests = new Set(matching.map(entry => entry.digest))
  if (digests.size === 1) return matching[0] as Descriptor
  return fail(
    digests.size === 0
      ? `index.json names no image ${ref}; it has ${names}`
      : `index.json has ${digests.size} different images named ${ref}`
  )
}

function entryName(entry: Descriptor): string {
  return entry.annotations?.[refNameKey] ?? entry.annotations?.[imageNameKey] ?? entry.digest
}

type Fail = (what: string) => never

// Walks depth first and records a manifest after everything under it, which
// is the order a registry accepts them in.
class LayoutWalker {
  readonly manifests: SourceManifest[] = []
  readonly blobs = new Map<string, SourceBlob>()
  private readonly seen = new Set<string>()

  constructor(
    private readonly files: LayoutFiles,
    private readonly fail: Fail
  ) {}

  async manifest(descriptor: Descriptor, from: string): Promise<void> {
    if (this.seen.has(descriptor.digest)) return
    this.seen.add(descriptor.digest)
    const bytes = await this.readManifest(descriptor, from)
    const parsed = parseObject(bytes) ?? this.fail(`manifest ${descriptor.digest} is not JSON`)
    const where = `manifest ${descriptor.digest}`
    const declared = typeof parsed.mediaType === 'string' ? parsed.mediaType : undefined
    let mediaType: string
    if (Array.isArray(parsed.manifests)) {
      for (const child of parsed.manifests as unknown[]) {
        await this.manifest(checkDescriptor(child, where, this.fail), where)
      }
      mediaType = declared ?? descriptor.mediaType ?? mediaTypes.ociIndex
    } else if (Array.isArray(parsed.layers) && parsed.config !== undefined) {
      for (const entry of [parsed.config, ...(parsed.layers as unknown[])]) {
        await this.blob(checkDescriptor(entry, where, this.fail), where)
      }
      mediaType = declared ?? descriptor.mediaType ?? mediaTypes.ociManifest
    } else {
      return this.fail(`${where} is neither an image manifest nor an index`)
    }
    this.manifests.push({ digest: descriptor.digest, mediaType, bytes })
  }

  private async readManifest(descriptor: Descriptor, from: string): Promise<Buffer> {
    const { digest, size } = descriptor
    if (size > maxManifestBytes) {
      this.fail(`manifest ${digest} is ${size} bytes, over the ${maxManifestBytes}-byte limit`)
    }
    const name = blobName(digest)
    const actual = await this.files.size(name)
    if (actual === undefined) this.fail(`the manifest ${digest} that ${from} lists is missing`)
    if (actual !== size) this.fail(`${name} is ${actual} bytes, but ${from} says ${size}`)
    const bytes = await this.files.read(name, maxManifestBytes)
    const got = digestLike(digest, bytes)
    if (got !== digest)
      this.fail(`the manifest ${digest} (${name}) does not match its digest: its content is ${got}`)
    return bytes
  }

  // Blobs are not hashed here: the registry checks every digest on upload.
  private async blob(descriptor: Descriptor, from: string): Promise<void> {
    const { digest, size, mediaType } = descriptor
    if (this.blobs.has(digest)) return
    const name = blobName(digest)
    const actual = await this.files.size(name)
    if (actual === undefined) {
      // Foreign layers live at their URLs; layouts may leave them out.
      if (descriptor.urls !== undefined && descriptor.urls.length > 0) return
      this.fail(`the blob ${digest} that ${from} lists is missing`)
    }
    if (actual !== size) this.fail(`${name} is ${actual} bytes, but ${from} says ${size}`)
    const files = this.files
    this.blobs.set(digest, {
      digest,
      size,
      mediaType: mediaType ?? 'application/octet-stream',
      open: range => files.open(name, range)
    })
  }
}

function checkDescriptor(value: unknown, where: string, fail: Fail): Descriptor {
  const entry = value as Partial<Descriptor> | null
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof entry.digest !== 'string' ||
    !isDigest(entry.digest) ||
    !Number.isSafeInteger(entry.size) ||
    (entry.size as number) < 0 ||
    (entry.mediaType !== undefined && typeof entry.mediaType !== 'string')
  ) {
    return fail(`${where} has an invalid descriptor: ${JSON.stringify(value)?.slice(0, 200)}`)
  }
  return entry as Descriptor
}

async function readJson(
  files: LayoutFiles,
  name: string,
  maxBytes: number,
  fail: Fail
): Promise<Record<string, unknown>> {
  const size = await files.size(name)
  if (size === undefined) fail(`${name} is missing`)
  if ((size as number) > maxBytes) fail(`${name} is over ${maxBytes} bytes`)
  return parseObject(await files.read(name, maxBytes)) ?? fail(`${name} is not a JSON object`)
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
