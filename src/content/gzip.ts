// Reproducible gzip: the same bytes in give the same bytes out on every run.
// zlib already writes MTIME 0 and no file name; the OS byte is the one field
// that differs by platform (3 on Unix, 10 on Windows builds of zlib), so it is
// set to 3 everywhere. The level is fixed too: the digest depends on it.
// Deflate output can still differ between zlib versions, so a layer's digest
// is stable for one Node major, which is one action release.

import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { constants, createGzip } from 'node:zlib'

export const gzipLevel = 6
const osByteOffset = 9
const unixOs = 3

/** What a compressed stream was, before and after. */
export interface GzipResult {
  /** sha256 of the gzip bytes. */
  digest: string
  size: number
  /** sha256 of the input, e.g. the tar (OCI diff_id, `io.deis.oras.content.digest`). */
  uncompressedDigest: string
  uncompressedSize: number
}

/** The stages of a gzip with a fixed level and header, to put in a pipeline in this order. */
export function reproducibleGzip(): [Transform, Transform] {
  let seen = 0
  const fixHeader = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (seen <= osByteOffset && seen + chunk.length > osByteOffset) {
        chunk = Buffer.from(chunk)
        chunk[osByteOffset - seen] = unixOs
      }
      seen += chunk.length
      callback(null, chunk)
    }
  })
  return [createGzip({ level: gzipLevel, strategy: constants.Z_DEFAULT_STRATEGY }), fixHeader]
}

/**
 * Compresses `input` into the file `destination`, hashing both sides on the
 * way: one pass, memory independent of size. The caller owns the file (a
 * temporary folder it removes) and deletes it on failure.
 */
export async function gzipToFile(input: Readable, destination: string): Promise<GzipResult> {
  const before = new HashingCounter()
  const after = new HashingCounter()
  await pipeline(input, before, ...reproducibleGzip(), after, createWriteStream(destination))
  return {
    digest: after.digest(),
    size: after.bytes,
    uncompressedDigest: before.digest(),
    uncompressedSize: before.bytes
  }
}

/** Passes bytes through, counting and hashing them with sha256. */
export class HashingCounter extends Transform {
  private readonly hash = createHash('sha256')
  bytes = 0

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    callback(null, chunk)
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`
  }
}
