// Reads a classic `docker save` archive: `manifest.json` lists each image's
// config (`<hex>.json`) and its layers (`<id>/layer.tar`, uncompressed). A
// registry wants a manifest and compressed layers, so this builds a Docker
// v2 schema 2 manifest and gzips each layer reproducibly into a work folder:
// the same archive gives the same digests on every run. The config stays
// byte for byte, so the image ID (the config's digest) does not change.

import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { sha256Digest } from './digest.js'
import { gzipToFile, HashingCounter } from './gzip.js'
import {
  ImageSourceError,
  maxManifestBytes,
  type ImageSource,
  type LayoutFiles,
  type SourceBlob
} from './oci-layout.js'
import { normaliseEntryName } from './tar-index.js'
import { mediaTypes } from '../registry/media-types.js'

interface ArchivedImage {
  Config: string
  RepoTags: string[]
  Layers: string[]
}

interface Layer {
  blob: SourceBlob
  diffId: string
}

// Image configs are a few kilobytes; even long histories stay far below this.
const maxConfigBytes = 4 * 1024 * 1024

/**
 * The image that `manifest.json` lists, as a v2 manifest with gzip layers
 * written under `workDir`. `ref` (`name:tag` or just the tag) chooses among
 * several images; with one it is not needed and not consulted.
 */
export async function readDockerArchive(
  files: LayoutFiles,
  workDir: string,
  ref?: string
): Promise<ImageSource> {
  const fail = (what: string): never => {
    throw new ImageSourceError(`${files.location}: ${what}`)
  }
  const image = pickImage(await readImages(files, fail), ref, fail)

  const configName = memberName(image.Config, fail)
  const configSize = (await files.size(configName)) ?? fail(`the config ${configName} is missing`)
  if (configSize > maxConfigBytes) fail(`the config ${configName} is over ${maxConfigBytes} bytes`)
  const configBytes = await files.read(configName, maxConfigBytes)
  const diffIds = readDiffIds(configBytes, configName, fail)
  if (diffIds.length !== image.Layers.length) {
    fail(`${configName} has ${diffIds.length} diff_ids for ${image.Layers.length} layers`)
  }
  const config: SourceBlob = {
    digest: sha256Digest(configBytes),
    size: configSize,
    mediaType: mediaTypes.dockerConfig,
    open: range => files.open(configName, range)
  }

  // One layer file may appear several times (Docker links repeated layers); compress it once.
  const byName = new Map<string, Layer>()
  const layers: SourceBlob[] = []
  for (const [i, layerPath] of image.Layers.entries()) {
    const name = memberName(layerPath, fail)
    let layer = byName.get(name)
    if (layer === undefined) {
      layer = await compressedLayer(files, name, join(workDir, `layer-${byName.size}.tar.gz`), fail)
      byName.set(name, layer)
    }
    if (layer.diffId !== diffIds[i]) {
      fail(
        `layer ${name} has the content ${layer.diffId}, but the config's diff_ids[${i}] is ${diffIds[i]}`
      )
    }
    layers.push(layer.blob)
  }

  const bytes = Buffer.from(manifestJson(config, layers), 'utf8')
  const root = { digest: sha256Digest(bytes), mediaType: mediaTypes.dockerManifest, bytes }
  const blobs = new Map([config, ...layers].map(blob => [blob.digest, blob]))
  return { blobs: [...blobs.values()], manifests: [root], root, kind: 'docker save (classic)' }
}

// Keys in a fixed order and no whitespace: the manifest digest is the same on every run.
function manifestJson(config: SourceBlob, layers: SourceBlob[]): string {
  const descriptor = (blob: SourceBlob) => ({
    mediaType: blob.mediaType,
    size: blob.size,
    digest: blob.digest
  })
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.dockerManifest,
    config: descriptor(config),
    layers: layers.map(descriptor)
  })
}

async function readImages(files: LayoutFiles, fail: Fail): Promise<ArchivedImage[]> {
  const size = (await files.size('manifest.json')) ?? fail('manifest.json is missing')
  if (size > maxManifestBytes) fail(`manifest.json is over ${maxManifestBytes} bytes`)
  const parsed = parseJson(await files.read('manifest.json', maxManifestBytes))
  if (!Array.isArray(parsed) || parsed.length === 0) {
    return fail('manifest.json is not a list of images')
  }
  return parsed.map((entry: Partial<ArchivedImage> | null, i) => {
    if (
      typeof entry?.Config !== 'string' ||
      !Array.isArray(entry.Layers) ||
      !entry.Layers.every(layer => typeof layer === 'string')
    ) {
      return fail(`manifest.json entry ${i} lacks Config or Layers`)
    }
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags : []
    return { Config: entry.Config, Layers: entry.Layers, RepoTags: tags.map(String) }
  })
}

function pickImage(images: ArchivedImage[], ref: string | undefined, fail: Fail): ArchivedImage {
  if (new Set(images.map(image => image.Config)).size === 1) return images[0] as ArchivedImage
  const names = images.map(image => image.RepoTags.join(' ') || image.Config).join(', ')
  if (ref === undefined) {
    return fail(`manifest.json lists ${images.length} images (${names}): say which one to push`)
  }
  const matching = images.filter(image => image.RepoTags.some(tag => refMatches(tag, ref)))
  const configs = new Set(matching.map(image => image.Config))
  if (configs.size === 1) return matching[0] as ArchivedImage
  return fail(
    configs.size === 0
      ? `manifest.json names no image ${ref}; it has ${names}`
      : `manifest.json has ${configs.size} different images tagged ${ref}`
  )
}

// `registry/app:v1` answers to itself and to `v1`.
function refMatches(repoTag: string, ref: string): boolean {
  if (repoTag === ref) return true
  const colon = repoTag.lastIndexOf(':')
  return colon > repoTag.lastIndexOf('/') && repoTag.slice(colon + 1) === ref
}

function readDiffIds(bytes: Buffer, name: string, fail: Fail): string[] {
  const config = parseJson(bytes) as { rootfs?: { diff_ids?: unknown } } | undefined
  const diffIds = config?.rootfs?.diff_ids
  if (!Array.isArray(diffIds) || !diffIds.every(id => typeof id === 'string')) {
    return fail(`${name} is not an image config with rootfs.diff_ids`)
  }
  return diffIds
}

// A layer Docker saved compressed stays as it is; an uncompressed one is gzipped.
async function compressedLayer(
  files: LayoutFiles,
  name: string,
  destination: string,
  fail: Fail
): Promise<Layer> {
  const size = (await files.size(name)) ?? fail(`the layer ${name} is missing`)
  const mediaType = mediaTypes.dockerLayer
  if (size >= 2 && isGzip(await firstBytes(files.open(name, { start: 0, end: 1 })))) {
    const compressed = new HashingCounter()
    const uncompressed = new HashingCounter()
    await pipeline(files.open(name), compressed, createGunzip(), uncompressed, discard())
    const digest = compressed.digest()
    const blob = { digest, size, mediaType, open: (range?: Range) => files.open(name, range) }
    return { blob, diffId: uncompressed.digest() }
  }
  const result = await gzipToFile(files.open(name), destination)
  const blob = {
    digest: result.digest,
    size: result.size,
    mediaType,
    open: (range?: Range) => createReadStream(destination, range)
  }
  return { blob, diffId: result.uncompressedDigest }
}

type Range = { start: number; end: number }
type Fail = (what: string) => never

/** `name` as a path inside the archive; one that climbs out of it is refused. */
function memberName(name: string, fail: Fail): string {
  const normal = normaliseEntryName(name)
  if (normal === undefined || normal === '') return fail(`manifest.json names a bad path ${name}`)
  return normal
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b
}

async function firstBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() })
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}
