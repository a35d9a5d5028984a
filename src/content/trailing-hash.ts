// The sha256 of a file while it is being written, on a worker thread that
// reads each stretch back (from the page cache) once the writer says it is
// on disk. A download then receives and writes on the main thread while the
// hash runs on another core, and what is hashed is what landed in the file.

import { Worker } from 'node:worker_threads'
import { readBlockBytes } from './file-hash.js'

// Plain JavaScript run with `eval`: the action ships as one bundle (see file-hash).
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { openSync, readSync, closeSync } = require('node:fs')
let fd
const block = Buffer.allocUnsafe(workerData.block)
const hash = createHash('sha256')
let hashed = 0
let written = 0
let end = -1
function advance() {
  fd ??= openSync(workerData.path, 'r')
  while (hashed < written) {
    const n = readSync(fd, block, 0, Math.min(block.length, written - hashed), hashed)
    if (n === 0) throw new Error('the file ended at ' + hashed + ' bytes, before the ' + written + ' written')
    hash.update(n === block.length ? block : block.subarray(0, n))
    hashed += n
  }
  if (end >= 0 && hashed >= end) {
    closeSync(fd)
    parentPort.postMessage({ digest: 'sha256:' + hash.digest('hex'), size: hashed })
    parentPort.close()
  }
}
parentPort.on('message', message => {
  try {
    if (message.written !== undefined) written = Math.max(written, message.written)
    if (message.end !== undefined) { end = message.end; written = Math.max(written, end) }
    advance()
  } catch (error) {
    parentPort.postMessage({ error: error.message, code: error.code })
    parentPort.close()
  }
})
`

export interface TrailingHash {
  /** The first `bytes` of the file are written. */
  written(bytes: number): void
  /** The file is complete at `size` bytes: its digest once the worker has caught up. */
  finish(size: number): Promise<string>
  /** Stops the worker without a digest (the download failed). */
  abandon(): void
}

export function trailingHash(path: string): TrailingHash {
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { path, block: readBlockBytes }
  })
  const outcome = new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { digest?: string; error?: string; code?: string }) => {
      if (message.digest !== undefined) resolve(message.digest)
      else
        reject(
          Object.assign(new Error(`hashing ${path}: ${message.error ?? 'no digest'}`), {
            code: message.code
          })
        )
    })
    worker.once('error', reject)
    worker.once('exit', () => reject(new Error(`hashing ${path}: the worker stopped`)))
  })
  // Until finish() hands it out, a failure must not count as unhandled.
  outcome.catch(() => undefined)
  return {
    written: bytes => worker.postMessage({ written: bytes }),
    finish: async size => {
      worker.postMessage({ end: size })
      try {
        return await outcome
      } finally {
        void worker.terminate()
      }
    },
    abandon: () => void worker.terminate()
  }
}
