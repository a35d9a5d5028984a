// Content digests (OCI image spec, descriptor.md#digests). Everything read
// from a registry is checked against its digest while it streams, so a bad
// byte fails the transfer before the content lands anywhere.

import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

const algorithms: Record<string, { node: string; hexLength: number }> = {
  sha256: { node: 'sha256', hexLength: 64 },
  sha512: { node: 'sha512', hexLength: 128 }
}

export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError'
}

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

export function isDigest(value: string): boolean {
  const [algorithm, hex] = value.split(':', 2)
  const spec = algorithms[algorithm ?? '']
  return (
    spec !== undefined && hex !== undefined && new RegExp(`^[a-f0-9]{${spec.hexLength}}$`).test(hex)
  )
}

export function hashFor(digest: string): Hash {
  const spec = algorithms[digest.split(':', 1)[0] ?? '']
  if (!spec || !isDigest(digest)) throw new DigestMismatchError(`unsupported digest ${digest}`)
  return createHash(spec.node)
}

/** The digest of `data` in the algorithm of `like`, for comparing with it. */
export function digestLike(like: string, data: Uint8Array): string {
  const algorithm = like.split(':', 1)[0] ?? 'sha256'
  return `${algorithm}:${hashFor(like).update(data).digest('hex')}`
}

/** Passes bytes through and fails at the end unless they match `expected` (and `size`, when known). */
export class DigestVerifier extends Transform {
  private readonly hash: Hash
  private seen = 0

  constructor(
    private readonly expected: string,
    private readonly size?: number
  ) {
    super()
    this.hash = hashFor(expected)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length
    if (this.size !== undefined && this.seen > this.size) {
      callback(
        new DigestMismatchError(`${this.expected}: more than the ${this.size} bytes expected`)
      )
      return
    }
    this.hash.update(chunk)
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    const actual = `${this.expected.split(':', 1)[0]}:${this.hash.digest('hex')}`
    if (this.size !== undefined && this.seen !== this.size) {
      callback(
        new DigestMismatchError(`${this.expected}: got ${this.seen} bytes, expected ${this.size}`)
      )
    } else if (actual !== this.expected) {
      callback(
        new DigestMismatchError(
          `content does not match its digest ${this.expected} (got ${actual})`
        )
      )
    } else {
      callback()
    }
  }
}
