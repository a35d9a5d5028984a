// The sha256 of a file, read in large blocks, on a worker thread: it runs on
// its own read so that it can run ahead of an upload of the same file (see
// registry/streamed-upload), and off the main thread so that the upload's
// I/O is not queued behind it.

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { FileChangedError } from './file-changed.js'

/** Large reads keep the hash near the disk's and CPU's speed. */
export const readBlockBytes = 1024 * 1024

// Plain JavaScript run with `eval`: the action ships as one bundle, and a
// worker script of its own would have to be found on disk beside it.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { createReadStream } = require('node:fs')
const hash = createHash('sha256')
let size = 0
createReadStream(workerData.path, { highWaterMark: workerData.block })
  .on('data', chunk => { hash.update(chunk); size += chunk.length })
  .on('error', error => parentPort.postMessage({ error: error.message, code: error.code }))
  .on('end', () => parentPort.postMessage({ digest: 'sha256:' + hash.digest('hex'), size }))
`

/** Below this, a worker's start costs more than hashing on the main thread. */
const workerAboveBytes = 8 * 1024 * 1024

export async function hashFile(path: string, expectedSize?: number): Promise<string> {
  const { digest, size } =
    expectedSize !== undefined && expectedSize < workerAboveBytes
      ? await hashHere(path)
      : await hashInWorker(path)
  if (expectedSize !== undefined && size !== expectedSize) {
    throw new FileChangedError(path, expectedSize, size)
  }
  return digest
}

async function hashHere(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path, { highWaterMark: readBlockBytes })) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { digest: `sha256:${hash.digest('hex')}`, size }
}

function hashInWorker(path: string): Promise<{ digest: string; size: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: { path, block: readBlockBytes }
    })
    worker.once(
      'message',
      (message: { digest?: string; size?: number; error?: string; code?: string }) => {
        void worker.terminate()
        if (message.error !== undefined || message.digest === undefined) {
          reject(
            Object.assign(new Error(`reading ${path}: ${message.error ?? 'no digest'}`), {
              code: message.code
            })
          )
        } else {
          resolve({ digest: message.digest, size: message.size ?? 0 })
        }
      }
    )
    worker.once('error', reject)
  })
}
