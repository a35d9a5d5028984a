// push of `oci-layout`: an image or index exactly as the layout or archive
// holds it. Blobs first (largest first, what the registry has is skipped),
// then every manifest by digest, children before the index that lists them,
// then the root under each tag. Manifest bytes are never rewritten, so the
// pushed digests are the layout's.

import { existsSync } from 'node:fs'
import { readImageSource } from '../../content/image-source.js'
import type { PushInputs } from '../../inputs.js'
import { BlobPresence } from '../../registry/blob-presence.js'
import { uploadBlob } from '../../registry/blobs.js'
import { writeManifest } from '../../registry/manifests.js'
import type { Descriptor, Manifest } from '../../registry/types.js'
import { TransferProgress } from '../../report/progress.js'
import type { OperationContext, OperationResult } from '../context.js'
import { inPool } from '../pool.js'
import { checkWritable, publishManifest } from './publish.js'
import { pushResult } from './push.js'
import type { SentLayer } from './upload-layers.js'

/** `path`, or `path:ref` (skopeo's form) to pick one image of several. */
export function splitLayoutPath(value: string): { path: string; ref?: string } {
  if (existsSync(value)) return { path: value }
  const match = /^(.*[^:]):([^:/\\]+)$/.exec(value)
  return match && existsSync(match[1] ?? '')
    ? { path: match[1] ?? '', ref: match[2] }
    : { path: value }
}

export async function pushImage(
  inputs: PushInputs,
  value: string,
  tempDir: string,
  { client, metadata, log }: OperationContext
): Promise<OperationResult> {
  const { repository, tags } = inputs
  await checkWritable(metadata, repository, tags)
  const { path, ref } = splitLayoutPath(value)
  const source = await readImageSource(path, { tempDir, ...(ref ? { ref } : {}) })
  log.info(
    `${path} (${source.kind}): ${source.manifests.length} manifests, ${source.blobs.length} blobs, root ${source.root.digest}`
  )
  const started = performance.now()
  const total = source.blobs.reduce((sum, b) => sum + b.size, 0)
  const progress = new TransferProgress({ label: `push ${repository}`, total, log })
  const order = [...source.blobs].sort((a, b) => b.size - a.size)
  const presence = new BlobPresence()
  let sent: SentLayer[]
  try {
    sent = await inPool(order, inputs.concurrency, async blob => {
      const began = performance.now()
      const status = await uploadBlob(client, repository, blob, { presence })
      progress.add(blob.size)
      return {
        descriptor: { mediaType: blob.mediaType, digest: blob.digest, size: blob.size },
        title: '',
        status,
        seconds: (performance.now() - began) / 1000
      }
    })
  } finally {
    progress.stop()
  }
  for (const manifest of source.manifests) {
    if (manifest === source.root) continue
    await writeManifest(client, repository, manifest.digest, manifest.bytes, manifest.mediaType)
  }
  const parsed = JSON.parse(source.root.bytes.toString('utf8')) as Manifest
  const subject: Descriptor | undefined = parsed.subject
  const published = await publishManifest(
    client,
    repository,
    {
      bytes: source.root.bytes,
      mediaType: source.root.mediaType,
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
      ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
      ...(subject ? { subject } : {})
    },
    tags
  )
  return pushResult(
    client,
    repository,
    published,
    sent,
    (performance.now() - started) / 1000,
    log,
    {
      source: source.kind,
      manifests: source.manifests.map(m => ({
        digest: m.digest,
        mediaType: m.mediaType,
        size: m.bytes.length
      }))
    }
  )
}
