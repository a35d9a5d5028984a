// The sha256 of a file while it is being written, on a worker thread that
// reads each stretch back (from the page cache) once the writer says it is
// on disk. A download then receives and writes on the main thread while the
// hash runs on another core, and what is hashed is what landed in the file.

import { Worker } from 'node:worker_threads'
import { readBlockBytes } from './file-hash.js'

// Plain JavaScript run with `eval`: the action ships as one bundle (see file-hash).
// The writer's progress is shared memory, not messages: a message per batch
// written cost a download of 1 GiB half a second of the main thread. Slot 0
// holds the bytes written, slot 1 the final size (-1 until known), slot 2 a
// count of wake-ups, which the worker sleeps on. A wake-up costs system calls
// on both sides, so the worker is woken once per `wakeEveryBytes` written.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { openSync, readSync, closeSync } = require('node:fs')
const state = new BigInt64Array(workerData.shared)
const block = Buffer.allocUnsafe(workerData.block)
const hash = createHash('sha256')
let hashed = 0
try {
  const fd = openSync(workerData.path, 'r')
  for (;;) {
    const changes = Atomics.load(state, 2)
    const written = Number(Atomics.load(state, 0))
    const end = Number(Atomics.load(state, 1))
    const upTo = Math.max(written, end)
    while (hashed < upTo) {
      const n = readSync(fd, block, 0, Math.min(block.length, upTo - hashed), hashed)
      if (n === 0) throw new Error('the file ended at ' + hashed + ' bytes, before the ' + upTo + ' written')
      hash.update(n === block.length ? block : block.subarray(0, n))
      hashed += n
    }
    if (end >= 0 && hashed >= end) {
      closeSync(fd)
      parentPort.postMessage({ digest: 'sha256:' + hash.digest('hex'), size: hashed })
      break
    }
    Atomics.wait(state, 2, changes)
  }
} catch (error) {
  parentPort.postMessage({ error: error.message, code: error.code })
}
`

const wakeEveryBytes = 16 * 1024 * 1024

export interface TrailingHash {
  /** The first `bytes` of the file are written. */
  written(bytes: number): void
  /** The file is complete at `size` bytes: its digest once the worker has caught up. */
  finish(size: number): Promise<string>
  /** Stops the worker without a digest (the download failed). */
  abandon(): void
}

export function trailingHash(path: string): TrailingHash {
  const shared = new SharedArrayBuffer(3 * BigInt64Array.BYTES_PER_ELEMENT)
  const state = new BigInt64Array(shared)
  state[1] = -1n
  let woken = 0
  const wake = (): void => {
    Atomics.add(state, 2, 1n)
    Atomics.notify(state, 2)
  }
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { path, block: readBlockBytes, shared }
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
    written: bytes => {
      Atomics.store(state, 0, BigInt(bytes))
      if (bytes - woken < wakeEveryBytes) return
      woken = bytes
      wake()
    },
    finish: async size => {
      Atomics.store(state, 1, BigInt(size))
      wake()
      try {
        return await outcome
      } finally {
        void worker.terminate()
      }
    },
    abandon: () => void worker.terminate()
  }
}
