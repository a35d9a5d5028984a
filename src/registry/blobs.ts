// Blobs: check, stream down (digest-checked), and upload. An upload is one
// POST and one streamed PUT, the fewest write operations ACR counts against
// its throttle; chunked PATCHes with large chunks serve registries or proxies
// that refuse a monolithic PUT. Nothing here holds a whole blob in memory,
// unless the caller hands over a small one it holds already (BlobSource.bytes).

import { pipeline, type Readable } from 'node:stream'
import { DigestMismatchError, DigestVerifier } from '../content/digest.js'
import { repositoryScope } from '../auth/scopes.js'
import type { HttpResponse } from '../http/transport.js'
import type { BlobPresence } from './blob-presence.js'
import type { RegistryClient } from './client.js'
import { registryError, RegistryError } from './errors.js'

/** Something to upload: its digest and size are known before the first byte goes out. */
export interface BlobSource {
  digest: string
  size: number
  /** A fresh stream of the bytes from `start` to `end` (inclusive), the whole blob by default. */
  open(range?: { start: number; end: number }): Readable
  /** All the bytes, when a small blob is held in memory: sent as they are, with no stream. */
  bytes?: Buffer
}

export type UploadOutcome = 'exists' | 'mounted' | 'uploaded'

export interface UploadOptions {
  /** A repository on the same registry that may hold the blob already: mount it from there. */
  mountFrom?: string
  /** Send in PATCH chunks of this size instead of one PUT. */
  chunkSize?: number
  /** Shared by the blobs of one push: decides how to ask whether each is there. */
  presence?: BlobPresence
}

// Chunks this large keep a 1 GiB layer to 17 write operations.
export const defaultChunkSize = 64 * 1024 * 1024

// A PUT with a body that a registry or proxy will not take in one piece.
const monolithicRefused = new Set([405, 411, 413, 501])

function blobPath(repository: string, digest: string): string {
  return `/v2/${repository}/blobs/${digest}`
}

/** The blob's size, or undefined when the repository does not have it. */
export async function headBlob(
  client: RegistryClient,
  repository: string,
  digest: string
): Promise<number | undefined> {
  const response = await client.request({
    method: 'HEAD',
    path: blobPath(repository, digest),
    scopes: [repositoryScope(repository, 'pull')]
  })
  await response.discard()
  if (response.status === 404) return undefined
  if (response.status !== 200) {
    throw new RegistryError(
      response.status,
      undefined,
      `checking blob ${repository}@${digest}: ${response.status}`
    )
  }
  return Number(response.header('content-length') ?? NaN)
}

/**
 * A stream of the blob's bytes that fails unless they match the digest (and
 * size, when given). ACR answers with a 307 to its storage, which the
 * transport follows without the registry's Authorization header.
 */
export async function openBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  size?: number
): Promise<Readable> {
  const response = await client.request({
    method: 'GET',
    path: blobPath(repository, digest),
    scopes: [repositoryScope(repository, 'pull')]
  })
  if (response.status !== 200)
    throw await registryError(response, `reading blob ${repository}@${digest}`)
  const verifier = new DigestVerifier(digest, size)
  pipeline(response.body, verifier, () => undefined)
  return verifier
}

/**
 * Uploads a blob whose digest is known, unless the repository has it. A failed
 * session is not patched up: the whole upload starts again from the source in
 * a new session, through the transport's one retry loop, since a registry may
 * have kept part of a stream that broke.
 */
export async function uploadBlob(
  client: RegistryClient,
  repository: string,
  blob: BlobSource,
  options: UploadOptions = {}
): Promise<UploadOutcome> {
  const { presence } = options
  if (presence?.ask(blob.size) === 'mount') {
    try {
      // A mount from the blob's own repository succeeds only when it is there.
      const outcome = await client.retrying('PUT', uploadsPath(repository), () =>
        sendBlob(client, repository, blob, { ...options, mountFrom: repository })
      )
      if (outcome === 'mounted') presence.record(true)
      return outcome === 'mounted' ? 'exists' : outcome
    } catch (error) {
      // The spec asks for a 202 from a registry that will not mount; some refuse instead.
      if (!(error instanceof MountRefusedError)) throw error
      presence.refuseMounts()
    }
  }
  const present = (await headBlob(client, repository, blob.digest)) !== undefined
  presence?.record(present)
  if (present) return 'exists'
  return client.retrying('PUT', uploadsPath(repository), () =>
    sendBlob(client, repository, blob, options)
  )
}

/** One attempt at an upload in a new session, for callers that own the retry (see uploadBlob). */
export async function sendBlob(
  client: RegistryClient,
  repository: string,
  blob: BlobSource,
  options: UploadOptions = {}
): Promise<UploadOutcome> {
  const session = await startUpload(client, repository, blob.digest, options.mountFrom)
  if (session === 'mounted') return 'mounted'
  if (options.chunkSize === undefined) {
    const response = await putWhole(client, repository, session, blob)
    if (!monolithicRefused.has(response.status)) {
      await finishedUpload(response, repository, blob.digest)
      return 'uploaded'
    }
    await response.discard()
  }
  // The refused session may be spent: chunks go into a new one.
  const fresh =
    options.chunkSize === undefined ? await startUpload(client, repository, blob.digest) : session
  if (fresh === 'mounted') return 'mounted'
  await putChunks(client, repository, fresh, blob, options.chunkSize ?? defaultChunkSize)
  return 'uploaded'
}

// What a registry that does not take `mount` with `from` its own repository may answer.
const mountRefusals = new Set([400, 404, 405, 501])

/** A registry refused a mount from the blob's own repository; a plain upload will do. */
export class MountRefusedError extends Error {
  override readonly name = 'MountRefusedError'
}

export function uploadsPath(repository: string): string {
  return `/v2/${repository}/blobs/uploads/`
}

/** Opens an upload session, or mounts the blob from `mountFrom`. */
export async function startUpload(
  client: RegistryClient,
  repository: string,
  digest?: string,
  mountFrom?: string
): Promise<URL | 'mounted'> {
  const scopes = [repositoryScope(repository, 'pull', 'push')]
  let path = uploadsPath(repository)
  if (digest !== undefined && mountFrom !== undefined) {
    path += `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}`
    if (mountFrom !== repository) scopes.push(repositoryScope(mountFrom, 'pull'))
  }
  const response = await client.request({
    method: 'POST',
    path,
    scopes,
    // No body: sending it again costs at most an unused session.
    headers: { 'content-length': '0' }
  })
  if (response.status === 201) {
    await response.discard()
    const stored = response.header('docker-content-digest')
    if (digest !== undefined && stored !== undefined && stored !== digest) {
      throw new DigestMismatchError(
        `${repository} answered a mount of ${digest} with the blob ${stored}`
      )
    }
    return 'mounted'
  }
  if (response.status !== 202) {
    const error = await registryError(response, `starting an upload to ${repository}`)
    if (mountFrom === repository && mountRefusals.has(response.status)) {
      throw new MountRefusedError(error.message)
    }
    throw error
  }
  await response.discard()
  return uploadLocation(response, repository)
}

function putWhole(
  client: RegistryClient,
  repository: string,
  location: URL,
  blob: BlobSource
): Promise<HttpResponse> {
  const url = new URL(location)
  url.searchParams.set('digest', blob.digest)
  return client.request({
    method: 'PUT',
    path: url,
    scopes: [repositoryScope(repository, 'pull', 'push')],
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body: blob.bytes ?? (() => blob.open()),
    retry: 'throttled'
  })
}

async function putChunks(
  client: RegistryClient,
  repository: string,
  start: URL,
  blob: BlobSource,
  chunkSize: number
): Promise<void> {
  const scopes = [repositoryScope(repository, 'pull', 'push')]
  let location = start
  for (let offset = 0; offset < blob.size; offset += chunkSize) {
    const end = Math.min(offset + chunkSize, blob.size) - 1
    const response = await client.request({
      method: 'PATCH',
      path: location,
      scopes,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(end - offset + 1),
        'content-range': `${offset}-${end}`
      },
      body: () => blob.open({ start: offset, end }),
      retry: 'throttled'
    })
    if (response.status !== 202) {
      throw await registryError(
        response,
        `uploading bytes ${offset}-${end} of ${blob.digest} to ${repository}`
      )
    }
    await response.discard()
    location = uploadLocation(response, repository)
  }
  const url = new URL(location)
  url.searchParams.set('digest', blob.digest)
  const response = await client.request({
    method: 'PUT',
    path: url,
    scopes,
    headers: { 'content-length': '0' },
    retry: 'throttled'
  })
  await finishedUpload(response, repository, blob.digest)
}

/** Checks the registry's answer to the PUT that closes a session. */
export async function finishedUpload(
  response: HttpResponse,
  repository: string,
  digest: string
): Promise<void> {
  if (response.status !== 201 && response.status !== 204) {
    throw await registryError(response, `uploading ${digest} to ${repository}`)
  }
  await response.discard()
  const stored = response.header('docker-content-digest')
  if (stored !== undefined && stored !== digest) {
    throw new DigestMismatchError(
      `the registry stored ${stored} for the blob ${digest} of ${repository}`
    )
  }
}

// Location may be relative (ACR) or absolute (distribution behind a proxy).
export function uploadLocation(response: HttpResponse, repository: string): URL {
  const location = response.header('location')
  if (!location) {
    throw new RegistryError(
      response.status,
      undefined,
      `the upload to ${repository} did not say where to send the data (no Location header)`
    )
  }
  return new URL(location, response.url)
}
