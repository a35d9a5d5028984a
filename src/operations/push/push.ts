// push: files and folders as an artifact, or an image (layout, docker save)
// as it is. Planned from the disk first, so that bad paths fail before any
// request; then blobs, then manifests, children before parents, then tags.

import { existsSync } from 'node:fs'
import { Readable } from 'node:stream'
import { InputError, type PushInputs } from '../../inputs.js'
import { BlobPresence } from '../../registry/blob-presence.js'
import { uploadBlob } from '../../registry/blobs.js'
import type { RegistryClient } from '../../registry/client.js'
import { headManifest } from '../../registry/manifests.js'
import { formatReference } from '../../registry/reference.js'
import type { Descriptor } from '../../registry/types.js'
import { formatBytes, formatRate, TransferProgress } from '../../report/progress.js'
import type { OperationContext, OperationResult } from '../context.js'
import { withTempDir } from '../temp-dir.js'
import { artifactManifest } from './artifact-manifest.js'
import { planFiles, type FilesPlan } from './files-plan.js'
import { pushImage } from './image-push.js'
import { checkWritable, publishManifest, type Publication } from './publish.js'
import { tagHint } from './tag-hint.js'
import { uploadLayers, type SentLayer } from './upload-layers.js'

export type PreparedPush = (context: OperationContext) => Promise<OperationResult>

export async function preparePush(
  inputs: PushInputs,
  env: NodeJS.ProcessEnv
): Promise<PreparedPush> {
  if (inputs.content.kind === 'oci-layout') {
    const { path } = inputs.content
    if (!existsSync(path) && !existsSync(path.replace(/:[^:/\\]+$/, ''))) {
      throw new InputError(
        'oci-layout',
        `${path} does not exist: give an OCI layout folder or tar, or a docker save archive`
      )
    }
    return context => withTempDir(env, dir => pushImage(inputs, path, dir, context))
  }
  const plan = await planFiles({ ...inputs, files: inputs.content.files }, env)
  return context => withTempDir(env, dir => pushFiles(inputs, plan, dir, context))
}

async function pushFiles(
  inputs: PushInputs,
  plan: FilesPlan,
  tempDir: string,
  { client, metadata, log }: OperationContext
): Promise<OperationResult> {
  const { repository, tags } = inputs
  await checkWritable(metadata, repository, tags)
  const subject = inputs.subject ? await subjectOf(client, repository, inputs.subject) : undefined
  const total = plan.layers.reduce((sum, l) => sum + (l.kind === 'file' ? l.size : 0), 0)
  const progress = new TransferProgress({ label: `push ${repository}`, total, log })
  const started = performance.now()
  let layers: SentLayer[]
  try {
    const config = plan.config
    const presence = new BlobPresence()
    const likelyUnchanged = await tagHint(client, repository, tags)
    ;[, layers] = await Promise.all([
      uploadBlob(client, repository, {
        digest: config.digest,
        size: config.bytes.length,
        open: () => Readable.from([config.bytes])
      }),
      uploadLayers(plan.layers, {
        client,
        repository,
        concurrency: inputs.concurrency,
        tempDir,
        progress,
        presence,
        likelyUnchanged
      })
    ])
  } finally {
    progress.stop()
  }
  const bytes = artifactManifest({
    ...(plan.artifactType ? { artifactType: plan.artifactType } : {}),
    config: {
      mediaType: plan.config.mediaType,
      digest: plan.config.digest,
      size: plan.config.bytes.length
    },
    layers: layers.map(l => l.descriptor),
    ...(subject ? { subject } : {}),
    annotations: plan.annotations
  })
  const published = await publishManifest(
    client,
    repository,
    {
      bytes,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...(plan.artifactType ? { artifactType: plan.artifactType } : {}),
      annotations: plan.annotations,
      ...(subject ? { subject } : {})
    },
    tags
  )
  const seconds = (performance.now() - started) / 1000
  for (const layer of layers)
    log.info(
      `${layer.status === 'exists' ? 'already there' : layer.status}: ${layer.title} (${formatBytes(layer.descriptor.size)}, ${layer.descriptor.digest})`
    )
  return pushResult(client, repository, published, layers, seconds, log, {
    ...(plan.artifactType ? { artifactType: plan.artifactType } : {})
  })
}

/** The subject's descriptor; it must exist in the same repository. */
async function subjectOf(
  client: RegistryClient,
  repository: string,
  digest: string
): Promise<Descriptor> {
  const found = await headManifest(client, repository, digest)
  if (found === undefined) {
    throw new InputError(
      'subject',
      `${digest} is not a manifest in ${client.host}/${repository}: push the subject first`
    )
  }
  return { mediaType: found.mediaType, digest: found.digest, size: found.size }
}

export function pushResult(
  client: RegistryClient,
  repository: string,
  published: Publication,
  layers: SentLayer[],
  seconds: number,
  log: OperationContext['log'],
  extra: Record<string, unknown> = {}
): OperationResult {
  const reference = formatReference(client.host, repository, published.digest)
  const totalSize = layers.reduce((sum, l) => sum + l.descriptor.size, 0)
  const sent = layers.filter(l => l.status === 'uploaded')
  const sentBytes = sent.reduce((sum, l) => sum + l.descriptor.size, 0)
  log.info(
    `pushed ${reference}${published.tags.length > 0 ? ` as ${published.tags.join(', ')}` : ''}: ` +
      `${sent.length} of ${layers.length} blobs sent (${formatBytes(sentBytes)}), the rest already there, in ${seconds.toFixed(1)} s`
  )
  return {
    outputs: { digest: published.digest, reference, tags: published.tags.join(',') },
    result: {
      operation: 'push',
      digest: published.digest,
      reference,
      mediaType: published.mediaType,
      size: published.size,
      totalSize,
      tags: published.tags,
      ...extra,
      layers: layers.map(l => ({
        ...(l.title ? { title: l.title } : {}),
        mediaType: l.descriptor.mediaType,
        digest: l.descriptor.digest,
        size: l.descriptor.size,
        status: l.status
      }))
    },
    report: {
      title: `Pushed ${client.host}/${repository}`,
      facts: [
        ['Reference', reference],
        ['Digest', published.digest],
        ['Media type', published.mediaType],
        ['Tags', published.tags.length > 0 ? published.tags.join(', ') : '(none: by digest)'],
        ['Total size', `${formatBytes(totalSize)} (${totalSize} bytes)`],
        [
          'Sent',
          `${sent.length} of ${layers.length} blobs, ${formatBytes(sentBytes)} in ${seconds.toFixed(1)} s`
        ]
      ],
      tables: [
        {
          caption: 'Layers',
          header: ['Title', 'Size', 'Digest', 'Upload', 'MB/s'],
          rows: layers.map(l => [
            l.title || '-',
            formatBytes(l.descriptor.size),
            l.descriptor.digest,
            l.status === 'exists' ? 'already there' : l.status,
            l.status === 'uploaded'
              ? formatRate(l.descriptor.size, l.seconds).replace(' MB/s', '')
              : '-'
          ])
        }
      ]
    }
  }
}
