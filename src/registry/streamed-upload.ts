// An upload that starts before the blob's digest is known. Hashing a large
// file and then uploading it costs two passes end to end; here the upload
// streams into a session (POST, one PATCH) while the hash runs ahead on its
// own read of the file, which also brings the file into the page cache for
// the upload's read. Once the digest is known, a HEAD decides: the registry
// has the blob, so the session is dropped and the rest never sent; or it has
// not, so the PUT `?digest=` closes the session. Three writes in all, never
// small chunks (ACR's Basic tier counts about 100 writes a minute).

import type { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { repositoryScope } from '../auth/scopes.js'
import type { HttpResponse } from '../http/transport.js'
import {
  finishedUpload,
  headBlob,
  sendBlob,
  startUpload,
  uploadLocation,
  uploadsPath,
  type BlobSource,
  type UploadOutcome
} from './blobs.js'
import type { RegistryClient } from './client.js'
import { registryError } from './errors.js'

/** A file whose size is known and whose digest is being computed. */
export interface UnhashedSource {
  size: number
  /** A fresh stream of all the bytes. */
  open(): Readable
  /** The digest, from a separate read of the same bytes. */
  digest: Promise<string>
}

export interface StreamedOutcome {
  digest: string
  outcome: UploadOutcome
}

/**
 * The hash gets this head start before an upload is risked: alone on the CPU
 * it finishes sooner, which is what an unchanged push waits for, and a file
 * that hashes within it goes the plain way (HEAD, then one PUT) with no
 * session to drop. Half a second is a few percent of a large upload. A
 * caller that knows better passes its own: a files push passes 0 for every
 * file its tags do not suggest is unchanged (operations/push/tag-hint).
 */
export const hashHeadStartMs = 500

export async function uploadWhileHashing(
  client: RegistryClient,
  repository: string,
  source: UnhashedSource,
  headStartMs = hashHeadStartMs
): Promise<StreamedOutcome> {
  source.digest.catch(() => undefined)
  const early = await Promise.race([
    source.digest,
    delay(headStartMs, undefined, { ref: false }).then(() => undefined)
  ])
  let first = early === undefined
  return client.retrying('PATCH', uploadsPath(repository), async () => {
    if (first) {
      first = false
      return speculate(client, repository, source)
    }
    // The digest is known: the plain path (HEAD, POST, PUT) serves it.
    const digest = await source.digest
    if ((await headBlob(client, repository, digest)) !== undefined) {
      return { digest, outcome: 'exists' }
    }
    const blob: BlobSource = { digest, size: source.size, open: () => source.open() }
    return { digest, outcome: await sendBlob(client, repository, blob) }
  })
}

async function speculate(
  client: RegistryClient,
  repository: string,
  source: UnhashedSource
): Promise<StreamedOutcome> {
  const session = await startUpload(client, repository)
  if (session === 'mounted') throw new Error('a registry mounted a blob it was not asked to')
  const scopes = [repositoryScope(repository, 'pull', 'push')]
  const abort = new AbortController()
  const sent: Promise<HttpResponse> = client.request({
    method: 'PATCH',
    path: session,
    scopes,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(source.size) },
    body: () => source.open(),
    signal: abort.signal,
    retry: 'throttled'
  })
  // Until it is awaited below, a failed PATCH must not count as unhandled.
  sent.catch(() => undefined)

  let digest: string
  try {
    digest = await source.digest
  } catch (error) {
    abort.abort()
    await cancel(client, repository, session, sent)
    throw error
  }
  if ((await headBlob(client, repository, digest)) !== undefined) {
    abort.abort()
    await cancel(client, repository, session, sent)
    return { digest, outcome: 'exists' }
  }

  let patched: HttpResponse
  try {
    patched = await sent
  } catch (error) {
    await cancel(client, repository, session, sent)
    throw error
  }
  if (patched.status !== 202) {
    throw await registryError(patched, `uploading ${digest} to ${repository}`)
  }
  await patched.discard()
  const url = uploadLocation(patched, repository)
  url.searchParams.set('digest', digest)
  const closed = await client.request({
    method: 'PUT',
    path: url,
    scopes,
    headers: { 'content-length': '0' },
    retry: 'throttled'
  })
  await finishedUpload(closed, repository, digest)
  return { digest, outcome: 'uploaded' }
}

// The registry drops an abandoned session by itself in time; a DELETE frees it
// now. Either way nothing half-written becomes a blob: only a PUT with a digest
// does that.
async function cancel(
  client: RegistryClient,
  repository: string,
  session: URL,
  sent: Promise<HttpResponse>
): Promise<void> {
  await sent.then(
    response => response.discard(),
    () => undefined
  )
  try {
    const response = await client.request({
      method: 'DELETE',
      path: session,
      scopes: [repositoryScope(repository, 'pull', 'push')],
      retry: false
    })
    await response.discard()
  } catch {
    // Best effort: the session expires on its own.
  }
}
