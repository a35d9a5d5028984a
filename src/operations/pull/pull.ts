// pull: an artifact's files, or an image as an OCI layout, into `path`, from
// ACR or any OCI registry. What lands there is verified first, and no name
// from the registry can write outside `path`.

import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { BlobCache } from '../../content/blob-cache.js'
import type { PullInputs } from '../../inputs.js'
import type { RegistryClient } from '../../registry/client.js'
import { getManifest, type FetchedManifest } from '../../registry/manifests.js'
import { formatReference } from '../../registry/reference.js'
import { isIndex, type Descriptor } from '../../registry/types.js'
import { formatBytes, formatRate, TransferProgress } from '../../report/progress.js'
import type { OperationContext, OperationResult } from '../context.js'
import { withTempDir } from '../temp-dir.js'
import type { FetchedBlob } from './fetch-blobs.js'
import { pullFiles } from './files-pull.js'
import { pullLayout } from './layout-pull.js'
import { selectPlatform } from './select-image.js'

export function preparePull(
  inputs: PullInputs,
  env: NodeJS.ProcessEnv
): (context: OperationContext) => Promise<OperationResult> {
  const cache =
    inputs.cache && env.RUNNER_TOOL_CACHE ? new BlobCache(env.RUNNER_TOOL_CACHE) : undefined
  return context => withTempDir(env, dir => pull(inputs, cache, dir, context))
}

async function pull(
  inputs: PullInputs,
  cache: BlobCache | undefined,
  tempDir: string,
  { client, log }: OperationContext
): Promise<OperationResult> {
  const { target } = inputs
  const reference = target.kind === 'tag' ? target.tag : target.digest
  const what = `${client.host}/${target.repository}${target.kind === 'tag' ? ':' : '@'}${reference}`
  const base = resolve(inputs.path)
  await mkdir(base, { recursive: true })
  if (inputs.cache && cache === undefined)
    log.info('cache: RUNNER_TOOL_CACHE is not set, so nothing is cached')

  const root = await getManifest(client, target.repository, reference)
  const started = performance.now()
  const fetchContext = (total: number) => ({
    client,
    repository: target.repository,
    concurrency: inputs.concurrency,
    ...(cache ? { cache } : {}),
    progress: new TransferProgress({ label: `pull ${target.repository}`, total, log })
  })

  if (inputs.format === 'oci-layout') {
    const image =
      isIndex(root.manifest) && inputs.platformGiven
        ? await imageFor(client, target.repository, root, inputs, what)
        : root
    const context = fetchContext(0)
    try {
      const outcome = await pullLayout(
        client,
        target.repository,
        image,
        target.kind === 'tag' ? target.tag : undefined,
        base,
        context
      )
      return report(client, inputs, root, outcome.blobs, outcome.files, started, log, {
        format: 'oci-layout',
        manifests: outcome.manifests.map(m => m.descriptor.digest)
      })
    } finally {
      context.progress.stop()
    }
  }

  const image = isIndex(root.manifest)
    ? await imageFor(client, target.repository, root, inputs, what)
    : root
  if (isIndex(image.manifest))
    throw new Error(`${what}: the image for the platform is itself an index`)
  const layers = image.manifest.layers
  const context = { ...fetchContext(layers.reduce((sum, l) => sum + l.size, 0)), log }
  try {
    const outcome = await pullFiles(layers, base, tempDir, context)
    return report(
      client,
      inputs,
      root,
      outcome.layers.map(l => l.blob),
      outcome.files,
      started,
      log,
      {
        format: 'files',
        ...(image !== root ? { platformDigest: image.descriptor.digest } : {}),
        layers: outcome.layers.map(l => ({
          title: l.title,
          kind: l.kind,
          digest: l.blob.digest,
          size: l.blob.size,
          source: l.blob.source
        }))
      }
    )
  } finally {
    context.progress.stop()
  }
}

async function imageFor(
  client: RegistryClient,
  repository: string,
  root: FetchedManifest,
  inputs: PullInputs,
  what: string
): Promise<FetchedManifest> {
  if (!isIndex(root.manifest)) return root
  const chosen: Descriptor = selectPlatform(root.manifest, inputs.platform, what)
  return getManifest(client, repository, chosen.digest)
}

function report(
  client: RegistryClient,
  inputs: PullInputs,
  root: FetchedManifest,
  blobs: FetchedBlob[],
  files: string[],
  started: number,
  log: OperationContext['log'],
  extra: Record<string, unknown>
): OperationResult {
  const seconds = (performance.now() - started) / 1000
  const repository = inputs.target.repository
  const reference = formatReference(client.host, repository, root.descriptor.digest)
  const downloaded = blobs.filter(b => b.source === 'registry')
  const bytes = downloaded.reduce((sum, b) => sum + b.size, 0)
  const total = blobs.reduce((sum, b) => sum + b.size, 0)
  log.info(
    `pulled ${reference} into ${inputs.path}: ${files.length} paths, ${downloaded.length} of ${blobs.length} blobs downloaded (${formatBytes(bytes)}), the rest from the cache, in ${seconds.toFixed(1)} s`
  )
  return {
    outputs: { digest: root.descriptor.digest, reference, files: JSON.stringify(files) },
    result: {
      operation: 'pull',
      digest: root.descriptor.digest,
      reference,
      mediaType: root.descriptor.mediaType,
      path: inputs.path,
      totalSize: total,
      files,
      ...extra
    },
    report: {
      title: `Pulled ${client.host}/${repository}`,
      facts: [
        ['Reference', reference],
        ['Digest', root.descriptor.digest],
        ['Into', `${inputs.path} (${inputs.format})`],
        ['Total size', `${formatBytes(total)} (${total} bytes)`],
        [
          'Downloaded',
          `${downloaded.length} of ${blobs.length} blobs, ${formatBytes(bytes)} in ${seconds.toFixed(1)} s`
        ]
      ],
      tables: [
        {
          caption: 'Blobs',
          header: ['Digest', 'Size', 'From', 'MB/s'],
          rows: blobs.map(b => [
            b.digest,
            formatBytes(b.size),
            b.source === 'cache' ? 'cache' : 'registry',
            b.source === 'registry' ? formatRate(b.size, b.seconds).replace(' MB/s', '') : '-'
          ])
        },
        { caption: 'Files', header: ['Path'], rows: files.map(f => [f]) }
      ]
    }
  }
}
