// Artifacts no honest client would push: tars and manifests built byte by
// byte, pushed raw (blob POST + PUT, manifest PUT) so that a pull under test
// sees exactly the names a malicious registry could serve. What the registry
// itself refuses to take (descriptors whose digests are not digests) is
// planted straight into its storage instead. Nothing here checks or
// normalises a name; that is the point.

import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { craftTar, type TarEntrySpec } from './craft-tar.js'
import type { Registry } from './registry.js'

export type { TarEntrySpec, TarEntryType } from './craft-tar.js'

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json'
export const FILE_LAYER = 'application/octet-stream'
export const FOLDER_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip'
export const TITLE = 'org.opencontainers.image.title'
export const UNPACK = 'io.deis.oras.content.unpack'

export interface CraftedLayer {
  bytes: Buffer
  mediaType: string
  annotations?: Record<string, string>
}

export interface Crafted {
  digest: string
  /** The manifest exactly as pushed. */
  manifest: Buffer
  layers: Array<{ digest: string; size: number }>
}

export const sha256 = (bytes: Buffer | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** A file layer; without a title it is the kind of layer a files pull skips. */
export function fileLayer(title: string | undefined, content: string | Buffer): CraftedLayer {
  return {
    bytes: Buffer.from(content),
    mediaType: FILE_LAYER,
    ...(title === undefined ? {} : { annotations: { [TITLE]: title } })
  }
}

/** A folder layer as `oras push` marks one: tar+gzip, titled, annotated to be unpacked. */
export function folderLayer(title: string, entries: TarEntrySpec[]): CraftedLayer {
  return {
    bytes: gzipSync(craftTar(entries)),
    mediaType: FOLDER_LAYER,
    annotations: { [TITLE]: title, [UNPACK]: 'true' }
  }
}

interface Reply {
  status: number
  location?: string
  digest?: string
  body: string
}

function send(
  registry: Registry,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: Buffer
): Promise<Reply> {
  const auth = registry.auth
    ? {
        authorization: `Basic ${Buffer.from(`${registry.auth.username}:${registry.auth.password}`).toString('base64')}`
      }
    : {}
  const transmit = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = transmit(
      url,
      {
        method,
        headers: { ...auth, ...headers, 'content-length': String(body?.length ?? 0) },
        ca: registry.caPem,
        agent: false,
        timeout: 30_000
      },
      res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const header = (name: string) => {
            const value = res.headers[name]
            return typeof value === 'string' ? value : undefined
          }
          resolve({
            status: res.statusCode ?? 0,
            location: header('location'),
            digest: header('docker-content-digest'),
            body: Buffer.concat(chunks).toString()
          })
        })
      }
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href}: no answer in time`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** Uploads `bytes` as one blob (POST, then one monolithic PUT) and returns its digest. */
export async function pushBlob(
  registry: Registry,
  repository: string,
  bytes: Buffer
): Promise<string> {
  const digest = sha256(bytes)
  const started = await send(
    registry,
    'POST',
    new URL(`${registry.url}/v2/${repository}/blobs/uploads/`),
    {}
  )
  if (started.status !== 202 || !started.location) {
    throw new Error(`starting an upload to ${repository}: ${started.status} ${started.body}`)
  }
  const target = new URL(started.location, registry.url)
  target.searchParams.set('digest', digest)
  const put = await send(
    registry,
    'PUT',
    target,
    { 'content-type': 'application/octet-stream' },
    bytes
  )
  if (put.status !== 201) throw new Error(`uploading ${digest}: ${put.status} ${put.body}`)
  return digest
}

/** Puts `bytes` as a manifest under `reference` (a tag or digest); returns the registry's digest. */
export async function pushManifest(
  registry: Registry,
  repository: string,
  reference: string,
  bytes: Buffer,
  mediaType = OCI_MANIFEST
): Promise<string> {
  const reply = await send(
    registry,
    'PUT',
    new URL(`${registry.url}/v2/${repository}/manifests/${reference}`),
    { 'content-type': mediaType },
    bytes
  )
  if (reply.status !== 201) {
    throw new Error(`putting manifest ${repository}:${reference}: ${reply.status} ${reply.body}`)
  }
  return reply.digest ?? sha256(bytes)
}

/** Pushes the layers and an artifact manifest listing them in order, tagged `tag`. */
export async function pushCraftedArtifact(
  registry: Registry,
  repository: string,
  tag: string,
  layers: CraftedLayer[]
): Promise<Crafted> {
  const config = Buffer.from('{}')
  await pushBlob(registry, repository, config)
  const descriptors = []
  for (const layer of layers) {
    descriptors.push({
      mediaType: layer.mediaType,
      digest: await pushBlob(registry, repository, layer.bytes),
      size: layer.bytes.length,
      ...(layer.annotations ? { annotations: layer.annotations } : {})
    })
  }
  const manifest = artifactManifest(descriptors)
  const digest = await pushManifest(registry, repository, tag, manifest)
  return {
    digest,
    manifest,
    layers: descriptors.map(({ digest, size }) => ({ digest, size }))
  }
}

/**
 * Writes a manifest into the registry's storage (test/rig/registry.ts keeps
 * distribution's layout under `<dir>/storage`) and points `tag` at it,
 * bypassing the checks the registry makes on a PUT, as a hostile registry
 * would serve it. Returns its digest, which the registry then reports.
 */
export async function plantManifest(
  registry: Registry,
  repository: string,
  tag: string,
  bytes: Buffer
): Promise<string> {
  const digest = sha256(bytes)
  const hex = digest.slice('sha256:'.length)
  const v2 = join(registry.dir, 'storage', 'docker', 'registry', 'v2')
  const put = async (path: string, content: string | Buffer) => {
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, content)
  }
  await put(join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'), bytes)
  const manifests = join(v2, 'repositories', ...repository.split('/'), '_manifests')
  await put(join(manifests, 'revisions', 'sha256', hex, 'link'), digest)
  await put(join(manifests, 'tags', tag, 'current', 'link'), digest)
  await put(join(manifests, 'tags', tag, 'index', 'sha256', hex, 'link'), digest)
  return digest
}

/** An artifact manifest with `layers` as given, digests and all, and the empty config. */
export function artifactManifest(
  layers: Array<{
    mediaType: string
    digest: string
    size: number
    annotations?: Record<string, string>
  }>
): Buffer {
  const config = Buffer.from('{}')
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.crafted.v1',
      config: { mediaType: EMPTY_CONFIG, digest: sha256(config), size: config.length },
      layers
    })
  )
}
