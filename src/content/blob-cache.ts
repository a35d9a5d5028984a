// Pulled blobs kept in the runner's tool cache by digest, in the layout
// @actions/tool-cache reads (`<tool>/<version>/<arch>` with a `.complete`
// marker), so a later pull of the same content transfers nothing. An entry is
// hashed while it is copied out, and only a copy that matches its digest is
// renamed into place: a cache that was tampered with is dropped and the blob
// downloaded again. Entries are copies, never links, so that changing a
// pulled file cannot change the cache, nor the cache a file pulled earlier.

import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import * as toolCache from '@actions/tool-cache'
import { hashFor } from './digest.js'
import { readBlockBytes } from './file-hash.js'
import { partialPathFor } from '../registry/blob-download.js'

const version = '1.0.0'
const arch = 'any'
const fileName = 'blob'

export interface CachedBlob {
  digest: string
  size: number
}

export class BlobCache {
  /** `root` is RUNNER_TOOL_CACHE, which @actions/tool-cache reads from the environment too. */
  constructor(private readonly root: string) {}

  /** Puts a verified copy of the blob at `destination`; false when the cache has none, or a bad one. */
  async take(blob: CachedBlob, destination: string): Promise<boolean> {
    const folder = toolCache.find(toolName(blob.digest), version, arch)
    if (!folder) return false
    const partial = partialPathFor(destination)
    try {
      await pipeline(
        createReadStream(join(folder, fileName), { highWaterMark: readBlockBytes }),
        verifier(blob),
        createWriteStream(partial, { flags: 'wx' })
      )
      await rename(partial, destination)
      return true
    } catch {
      await rm(partial, { force: true })
      await rm(`${folder}.complete`, { force: true })
      await rm(folder, { recursive: true, force: true })
      return false
    }
  }

  /** Where a download should also write the blob, to keep it; `commit` once it is verified there. */
  entryFor(blob: CachedBlob): { path: string; commit: () => Promise<void> } {
    const folder = join(this.root, toolName(blob.digest), version, arch)
    return {
      path: join(folder, fileName),
      commit: () => writeFile(`${folder}.complete`, '')
    }
  }

  /** Makes the entry's folder, so a download can write into it. */
  async prepare(blob: CachedBlob): Promise<void> {
    await mkdir(join(this.root, toolName(blob.digest), version, arch), { recursive: true })
  }
}

function toolName(digest: string): string {
  return `acr-action-blob-${digest.replace(':', '-')}`
}

// Fails the copy unless the bytes are exactly the blob's.
function verifier(blob: CachedBlob): Transform {
  const hash = hashFor(blob.digest)
  let size = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > blob.size) return callback(new Error(`cached ${blob.digest} is too long`))
      hash.update(chunk)
      callback(null, chunk)
    },
    flush(callback) {
      const actual = `${blob.digest.split(':', 1)[0]}:${hash.digest('hex')}`
      callback(
        size === blob.size && actual === blob.digest
          ? null
          : new Error(`cached ${blob.digest} does not match its digest`)
      )
    }
  })
}
