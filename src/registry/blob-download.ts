// A blob downloaded to a file that can be trusted: the bytes stream into a
// temporary file beside each destination while they are counted and hashed,
// and only a blob of exactly the descriptor's size and digest is renamed into
// place (a second destination, such as a cache, costs a write, not a read). A connection that drops mid-blob resumes where it stopped with a
// Range request (the hash carries on, it is never restarted), through the
// transport's one retry loop. On failure nothing is left at either path.

import { randomBytes } from 'node:crypto'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { repositoryScope } from '../auth/scopes.js'
import { DigestMismatchError, hashFor } from '../content/digest.js'
import { trailingHash, type TrailingHash } from '../content/trailing-hash.js'
import type { RegistryClient } from './client.js'
import { registryError, RegistryError } from './errors.js'

export interface BlobToFetch {
  digest: string
  size: number
}

export interface DownloadOptions {
  /** Called with each chunk's length as it lands. */
  onBytes?: (bytes: number) => void
  /** Blobs from this size are hashed on a worker thread; trailingHashFromBytes by default. */
  hashOnWorkerFrom?: number
}

/** A name beside `destination` that no other writer picks. */
export function partialPathFor(destination: string): string {
  return join(
    dirname(destination),
    `.${basename(destination)}.acr-partial-${randomBytes(6).toString('hex')}`
  )
}

export async function downloadBlob(
  client: RegistryClient,
  repository: string,
  blob: BlobToFetch,
  destinations: string | string[],
  options: DownloadOptions = {}
): Promise<void> {
  const targets = (Array.isArray(destinations) ? destinations : [destinations]).map(path => ({
    path,
    partial: partialPathFor(path)
  }))
  const files: FileHandle[] = []
  try {
    for (const target of targets) files.push(await open(target.partial, 'wx', 0o666))
    await fetchInto(client, repository, blob, files, targets[0]!.partial, options)
    await Promise.all(files.map(file => file.close()))
    for (const target of targets) await rename(target.partial, target.path)
  } catch (error) {
    await Promise.all(files.map(file => file.close().catch(() => undefined)))
    await Promise.all(targets.map(target => rm(target.partial, { force: true })))
    throw error
  }
}

async function fetchInto(
  client: RegistryClient,
  repository: string,
  blob: BlobToFetch,
  files: FileHandle[],
  firstPath: string,
  { onBytes, hashOnWorkerFrom = trailingHashFromBytes }: DownloadOptions
): Promise<void> {
  const path = `/v2/${repository}/blobs/${blob.digest}`
  const what = `reading blob ${repository}@${blob.digest}`
  // A large blob is hashed from its file on another core, as it lands; a small
  // one here, where a worker's start would cost more than its hash.
  let trailing =
    blob.size >= hashOnWorkerFrom && blob.digest.startsWith('sha256:')
      ? trailingHash(firstPath)
      : undefined
  let hash = trailing ? undefined : hashFor(blob.digest)
  let received = 0
  try {
    await client.retrying('GET', path, async () => {
      const resume = received > 0 && received < blob.size
      const response = await client.request({
        method: 'GET',
        path,
        scopes: [repositoryScope(repository, 'pull')],
        headers: resume ? { range: `bytes=${received}-` } : {},
        // A 429 is waited out on the spot; anything else comes back to this
        // loop, which resumes from the last byte where a retry inside would start over.
        retry: 'throttled'
      })
      if (response.status === 200 && received > 0) {
        // The server ignored the range: start over from the first byte, hashed here.
        trailing?.abandon()
        trailing = undefined
        hash = hashFor(blob.digest)
        received = 0
        await Promise.all(files.map(file => file.truncate(0)))
      } else if (response.status !== 200 && !(resume && response.status === 206)) {
        throw await registryError(response, what)
      }
      const writer = new BatchedWriter(files, received, trailing)
      try {
        for await (const chunk of response.body) {
          const bytes = chunk as Buffer
          if (received + bytes.length > blob.size) {
            response.body.destroy()
            throw tooLong(what, blob.size)
          }
          hash?.update(bytes)
          received += bytes.length
          await writer.add(bytes)
          onBytes?.(bytes.length)
        }
      } finally {
        // What was hashed is on disk before a resume asks for the bytes after it.
        await writer.flush()
      }
    })
    if (received !== blob.size) {
      throw new DigestMismatchError(`${what}: got ${received} bytes, expected ${blob.size}`)
    }
    const actual = trailing
      ? await trailing.finish(received)
      : `${blob.digest.split(':', 1)[0]}:${hash!.digest('hex')}`
    if (actual !== blob.digest) {
      throw new DigestMismatchError(
        `${what}: content does not match its digest ${blob.digest} (got ${actual})`
      )
    }
  } finally {
    trailing?.abandon()
  }
}

/** From this size a blob is hashed on a worker thread, from its file (see trailing-hash). */
export const trailingHashFromBytes = 32 * 1024 * 1024

/** Writes about this much at once: few system calls, little memory. */
const batchBytes = 1024 * 1024

// Collects chunks into batches written with one writev each, one batch in
// flight while the next fills, so the download waits on the disk only when
// the disk is behind.
class BatchedWriter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private writing: Promise<void> = Promise.resolve()

  constructor(
    private readonly files: FileHandle[],
    private position: number,
    private readonly hash?: TrailingHash
  ) {}

  async add(chunk: Buffer): Promise<void> {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes < batchBytes) return
    await this.writing
    this.start()
  }

  async flush(): Promise<void> {
    await this.writing
    if (this.pendingBytes > 0) {
      this.start()
      await this.writing
    }
  }

  private start(): void {
    const buffers = this.pending
    const at = this.position
    this.position += this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
    const end = this.position
    this.writing = Promise.all(this.files.map(file => writeAll(file, buffers, at))).then(() =>
      this.hash?.written(end)
    )
    // Awaited by the next add or flush; until then a failure must not count as unhandled.
    this.writing.catch(() => undefined)
  }
}

async function writeAll(file: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  const total = buffers.reduce((sum, b) => sum + b.length, 0)
  const { bytesWritten } = await file.writev(buffers, position)
  if (bytesWritten < total) {
    const rest = Buffer.concat(buffers).subarray(bytesWritten)
    await file.write(rest, 0, rest.length, position + bytesWritten)
  }
}

function tooLong(what: string, size: number): RegistryError {
  return new RegistryError(
    200,
    'BLOB_TOO_LONG',
    `${what}: the registry sent more than the ${size} bytes its descriptor says; refused`
  )
}
