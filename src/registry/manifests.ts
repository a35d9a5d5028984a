// Manifests by tag or digest: read (size-limited, digest-checked), check,
// write and delete.

import { digestLike, isDigest, sha256Digest, DigestMismatchError } from '../content/digest.js'
import type { RegistryClient } from './client.js'
import { registryError, RegistryError } from './errors.js'
import { manifestAccept } from './media-types.js'
import { repositoryScope } from '../auth/scopes.js'
import type { Descriptor, Manifest } from './types.js'

/** Larger manifests are refused unread: ACR and distribution cap them at 4 MiB too. */
export const maxManifestBytes = 4 * 1024 * 1024

export interface FetchedManifest {
  descriptor: Descriptor
  bytes: Buffer
  manifest: Manifest
}

function manifestPath(repository: string, reference: string): string {
  return `/v2/${repository}/manifests/${reference}`
}

export async function getManifest(
  client: RegistryClient,
  repository: string,
  reference: string
): Promise<FetchedManifest> {
  const what = `reading manifest ${repository}:${reference}`
  const response = await client.request({
    method: 'GET',
    path: manifestPath(repository, reference),
    scopes: [repositoryScope(repository, 'pull')],
    headers: { accept: manifestAccept.join(', ') }
  })
  if (response.status === 404) {
    const error = await registryError(response, what)
    const kind = isDigest(reference) ? 'manifest' : 'tag'
    throw new RegistryError(
      404,
      error.code,
      `${repository}${isDigest(reference) ? '@' : ':'}${reference} not found: no such ${kind} in ${client.host}/${repository} (${error.code ?? 'NOT_FOUND'})`,
      error.errors
    )
  }
  if (response.status !== 200) throw await registryError(response, what)

  const declared = Number(response.header('content-length') ?? NaN)
  if (declared > maxManifestBytes) {
    response.body.destroy()
    throw tooLarge(what, declared)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length
    if (size > maxManifestBytes) {
      response.body.destroy()
      throw tooLarge(what, size)
    }
    chunks.push(chunk as Buffer)
  }
  const bytes = Buffer.concat(chunks)
  const digest = verifiedDigest(bytes, reference, response.header('docker-content-digest'), what)

  let manifest: Manifest
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as Manifest
  } catch {
    throw new RegistryError(200, 'MANIFEST_INVALID', `${what}: the manifest is not valid JSON`)
  }
  checkDescriptors(manifest, what)
  const mediaType =
    manifest.mediaType ?? response.header('content-type')?.split(';')[0]?.trim() ?? ''
  return { descriptor: { mediaType, digest, size: bytes.length }, bytes, manifest }
}

/** The manifest's descriptor without its body, or undefined when there is none. */
export async function headManifest(
  client: RegistryClient,
  repository: string,
  reference: string
): Promise<Descriptor | undefined> {
  const response = await client.request({
    method: 'HEAD',
    path: manifestPath(repository, reference),
    scopes: [repositoryScope(repository, 'pull')],
    headers: { accept: manifestAccept.join(', ') }
  })
  await response.discard()
  if (response.status === 404) return undefined
  if (response.status !== 200) {
    throw new RegistryError(
      response.status,
      undefined,
      `checking manifest ${repository}:${reference}: ${response.status}`
    )
  }
  const digest = response.header('docker-content-digest')
  if (digest === undefined || !isDigest(digest)) {
    // Without a digest header the HEAD says nothing useful; a GET will.
    return (await getManifest(client, repository, reference)).descriptor
  }
  return {
    mediaType: response.header('content-type')?.split(';')[0]?.trim() ?? '',
    digest,
    size: Number(response.header('content-length') ?? 0)
  }
}

/** Writes a manifest under a tag or its digest and returns its digest. */
export async function putManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  bytes: Buffer,
  mediaType: string
): Promise<string> {
  return (await writeManifest(client, repository, reference, bytes, mediaType)).digest
}

export interface WrittenManifest {
  digest: string
  /**
   * The registry's `OCI-Subject` answer: set when it indexed the manifest's
   * subject itself (referrers API); absent, the client keeps the tag-schema index.
   */
  subjectIndexed: boolean
}

export async function writeManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  bytes: Buffer,
  mediaType: string
): Promise<WrittenManifest> {
  const what = `writing manifest ${repository}:${reference}`
  if (bytes.length > maxManifestBytes) throw tooLarge(what, bytes.length)
  const digest = isDigest(reference) ? digestLike(reference, bytes) : sha256Digest(bytes)
  if (isDigest(reference) && digest !== reference) {
    throw new DigestMismatchError(`${what}: the manifest's digest is ${digest}, not ${reference}`)
  }
  const response = await client.request({
    method: 'PUT',
    path: manifestPath(repository, reference),
    scopes: [repositoryScope(repository, 'pull', 'push')],
    headers: { 'content-type': mediaType },
    body: bytes
  })
  if (response.status !== 201 && response.status !== 200) throw await registryError(response, what)
  await response.discard()
  return { digest, subjectIndexed: response.header('oci-subject') !== undefined }
}

/** Deletes a manifest by digest. Returns false when it was already gone. */
export async function deleteManifest(
  client: RegistryClient,
  repository: string,
  digest: string
): Promise<boolean> {
  const response = await client.request({
    method: 'DELETE',
    path: manifestPath(repository, digest),
    scopes: [repositoryScope(repository, 'delete')]
  })
  if (response.status === 404) {
    await response.discard()
    return false
  }
  if (response.status !== 202 && response.status !== 200) {
    throw await registryError(response, `deleting manifest ${repository}@${digest}`)
  }
  await response.discard()
  return true
}

function verifiedDigest(
  bytes: Buffer,
  reference: string,
  header: string | undefined,
  what: string
): string {
  const expected = isDigest(reference) ? reference : header && isDigest(header) ? header : undefined
  if (expected === undefined) return sha256Digest(bytes)
  const actual = digestLike(expected, bytes)
  if (actual !== expected) {
    throw new DigestMismatchError(
      `${what}: the manifest does not match its digest ${expected} (got ${actual})`
    )
  }
  return actual
}

// Digests from a registry name files and folders on disk later (a layout's
// blobs/<alg>/<hex>, the tool cache): one that is not a digest is refused here,
// before anything can build a path from it.
function checkDescriptors(manifest: Manifest, what: string): void {
  const descriptors = [
    ...('manifests' in manifest && Array.isArray(manifest.manifests) ? manifest.manifests : []),
    ...('config' in manifest && manifest.config ? [manifest.config] : []),
    ...('layers' in manifest && Array.isArray(manifest.layers) ? manifest.layers : []),
    ...(manifest.subject ? [manifest.subject] : [])
  ]
  for (const d of descriptors) {
    if (typeof d?.digest !== 'string' || !isDigest(d.digest)) {
      throw new RegistryError(
        200,
        'MANIFEST_INVALID',
        `${what}: the manifest lists ${JSON.stringify(d?.digest)}, which is not a digest; refused`
      )
    }
    if (!Number.isSafeInteger(d.size) || d.size < 0) {
      throw new RegistryError(
        200,
        'MANIFEST_INVALID',
        `${what}: the manifest gives ${d.digest} the size ${JSON.stringify(d.size)}; refused`
      )
    }
  }
}

function tooLarge(what: string, size: number): RegistryError {
  return new RegistryError(
    413,
    'MANIFEST_TOO_LARGE',
    `${what}: the manifest is ${size} bytes, over the ${maxManifestBytes}-byte limit`
  )
}
