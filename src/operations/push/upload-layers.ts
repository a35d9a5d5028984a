// Sends the layers of a files push: up to `concurrency` at once, folders
// first (they must be packed before their size is known), then files largest
// first, so the longest upload never starts last. Large files upload while
// they hash, unless the tag suggests they are there already (see tag-hint);
// middling ones hash first and go in one PUT; small ones are read once into
// memory, hashed there and sent from there.

import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline, Readable, Transform } from 'node:stream'
import { sha256Digest } from '../../content/digest.js'
import { FileChangedError } from '../../content/file-changed.js'
import { hashFile, readBlockBytes } from '../../content/file-hash.js'
import { folderLayerAnnotations, packFolder } from '../../content/folder-layer.js'
import type { BlobPresence } from '../../registry/blob-presence.js'
import { uploadBlob, type UploadOutcome } from '../../registry/blobs.js'
import type { RegistryClient } from '../../registry/client.js'
import { mediaTypes } from '../../registry/media-types.js'
import { uploadWhileHashing } from '../../registry/streamed-upload.js'
import type { Descriptor } from '../../registry/types.js'
import type { TransferProgress } from '../../report/progress.js'
import { inPool } from '../pool.js'
import { fileMediaType, titleAnnotation, type PlannedLayer } from './files-plan.js'
import type { LikelyUnchanged } from './tag-hint.js'

/** Below this a file is hashed before its upload: a second request would cost more than the wait. */
export const streamAboveBytes = 16 * 1024 * 1024

/**
 * Files this small are read once into memory, hashed and sent from there:
 * a second read through streams costs a push of many small files more than
 * its uploads do. What is held at once stays under 32 MiB at any concurrency.
 */
export function holdUpTo(concurrency: number): number {
  return Math.min(4 * 1024 * 1024, Math.floor((32 * 1024 * 1024) / concurrency))
}

export interface SentLayer {
  descriptor: Descriptor
  title: string
  status: UploadOutcome
  /** From the start of this layer's upload to its end. */
  seconds: number
}

export interface LayerContext {
  client: RegistryClient
  repository: string
  concurrency: number
  /** A private folder for packed folders; the caller removes it. */
  tempDir: string
  progress: TransferProgress
  /** How to ask whether a blob is there, learnt from this push's earlier blobs. */
  presence: BlobPresence
  /** Whether a large file is likely there already, from what the tag holds now. */
  likelyUnchanged: LikelyUnchanged
}

export async function uploadLayers(
  layers: PlannedLayer[],
  context: LayerContext
): Promise<SentLayer[]> {
  const order = layers
    .map((layer, index) => ({ layer, index }))
    .sort((a, b) => weight(b.layer) - weight(a.layer) || a.index - b.index)
  const sent = new Array<SentLayer>(layers.length)
  await inPool(order, context.concurrency, async ({ layer, index }) => {
    sent[index] =
      layer.kind === 'file'
        ? await sendFile(layer, context)
        : await sendFolder(layer, index, context)
  })
  return sent
}

function weight(layer: PlannedLayer): number {
  return layer.kind === 'folder' ? Number.MAX_SAFE_INTEGER : layer.size
}

async function sendFile(
  layer: PlannedLayer & { kind: 'file' },
  { client, repository, concurrency, progress, presence, likelyUnchanged }: LayerContext
): Promise<SentLayer> {
  const started = performance.now()
  const counted = countInto(progress)
  const open = (range?: { start: number; end: number }): Readable =>
    readCounted(layer.path, range, counted.stream())
  let digest: string
  let status: UploadOutcome
  if (layer.size <= holdUpTo(concurrency)) {
    // One read: the bytes hashed are the bytes sent.
    const bytes = await readExactly(layer.path, layer.size)
    digest = sha256Digest(bytes)
    const source = {
      digest,
      size: layer.size,
      open: (range?: { start: number; end: number }) =>
        Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]),
      bytes
    }
    status = await uploadBlob(client, repository, source, { presence })
  } else if (layer.size < streamAboveBytes || likelyUnchanged(layer.title, layer.size)) {
    digest = await hashFile(layer.path, layer.size)
    status = await uploadBlob(client, repository, { digest, size: layer.size, open }, { presence })
  } else {
    ;({ digest, outcome: status } = await uploadWhileHashing(
      client,
      repository,
      {
        size: layer.size,
        open: () => open(),
        digest: hashFile(layer.path, layer.size)
      },
      0
    ))
  }
  counted.settle(layer.size)
  return {
    descriptor: {
      mediaType: fileMediaType,
      digest,
      size: layer.size,
      annotations: { [titleAnnotation]: layer.title }
    },
    title: layer.title,
    status,
    seconds: (performance.now() - started) / 1000
  }
}

async function sendFolder(
  layer: PlannedLayer & { kind: 'folder' },
  index: number,
  { client, repository, tempDir, progress, presence }: LayerContext
): Promise<SentLayer> {
  const file = join(tempDir, `folder-${index}.tar.gz`)
  const packed = await packFolder(layer.path, file, layer.title)
  progress.grow(packed.size)
  const started = performance.now()
  const counted = countInto(progress)
  const status = await uploadBlob(
    client,
    repository,
    {
      digest: packed.digest,
      size: packed.size,
      open: range => readCounted(file, range, counted.stream())
    },
    { presence }
  )
  counted.settle(packed.size)
  return {
    descriptor: {
      mediaType: mediaTypes.ociLayerTarGzip,
      digest: packed.digest,
      size: packed.size,
      annotations: { [titleAnnotation]: layer.title, ...folderLayerAnnotations(packed) }
    },
    title: layer.title,
    status,
    seconds: (performance.now() - started) / 1000
  }
}

// One byte more than planned is asked for, so a file that grew is caught
// without reading it whole.
async function readExactly(path: string, size: number): Promise<Buffer> {
  const file = await open(path, 'r')
  try {
    const bytes = Buffer.allocUnsafe(size + 1)
    let read = 0
    for (;;) {
      const { bytesRead } = await file.read(bytes, read, bytes.length - read, read)
      if (bytesRead === 0) break
      read += bytesRead
      if (read === bytes.length) break
    }
    if (read !== size) throw new FileChangedError(path, size, read)
    return bytes.subarray(0, size)
  } finally {
    await file.close()
  }
}

// A failure on either side ends both: an aborted upload closes the file.
function readCounted(
  path: string,
  range: { start: number; end: number } | undefined,
  counter: Transform
): Readable {
  pipeline(
    createReadStream(path, { ...range, highWaterMark: readBlockBytes }),
    counter,
    () => undefined
  )
  return counter
}

// Counts one blob's bytes into the progress; a retry's bytes count once, and a
// blob found already there counts in full.
function countInto(progress: TransferProgress): {
  stream: () => Transform
  settle: (size: number) => void
} {
  let counted = 0
  let sentThisTry = 0
  return {
    stream: () => {
      sentThisTry = 0
      return new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          sentThisTry += chunk.length
          if (sentThisTry > counted) {
            progress.add(sentThisTry - counted)
            counted = sentThisTry
          }
          callback(null, chunk)
        }
      })
    },
    settle: size => {
      if (size > counted) progress.add(size - counted)
      counted = size
    }
  }
}
