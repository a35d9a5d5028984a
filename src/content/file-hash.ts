// The sha256 of a file, read in large blocks. It runs on its own read so that
// it can run ahead of an upload of the same file (see registry/streamed-upload).

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { FileChangedError } from './file-changed.js'

/** Large reads keep the hash near the disk's and CPU's speed. */
export const readBlockBytes = 1024 * 1024

export async function hashFile(path: string, expectedSize?: number): Promise<string> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path, { highWaterMark: readBlockBytes })) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    throw new FileChangedError(path, expectedSize, size)
  }
  return `sha256:${hash.digest('hex')}`
}
