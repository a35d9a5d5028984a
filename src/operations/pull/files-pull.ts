// pull with `format: files`: every titled layer of the image written under
// `path` by its title, folder layers unpacked there. Titles are checked
// before anything is written; blobs download in parallel, each verified in a
// temporary file before it lands; folder layers are unpacked afterwards in
// manifest order, so that what one layer wrote is checked by the next. Packed
// folders download to the operation's own temporary folder, never into `path`.

import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { unpackAnnotation } from '../../content/folder-layer.js'
import { pathInside, safeSegments } from '../../content/safe-path.js'
import { extractTar } from '../../content/tar-extract.js'
import { partialPathFor } from '../../registry/blob-download.js'
import { mediaTypes } from '../../registry/media-types.js'
import type { Descriptor } from '../../registry/types.js'
import type { Logger } from '../context.js'
import { titleAnnotation } from '../push/files-plan.js'
import { fetchBlobs, type FetchContext, type FetchedBlob } from './fetch-blobs.js'

export interface WrittenLayer {
  title: string
  kind: 'file' | 'folder'
  blob: FetchedBlob
}

export interface FilesOutcome {
  layers: WrittenLayer[]
  /** Paths written, relative to `path`, `/`-separated, sorted. */
  files: string[]
}

export async function pullFiles(
  layers: Descriptor[],
  base: string,
  tempDir: string,
  context: FetchContext & { log: Logger }
): Promise<FilesOutcome> {
  const titled = layers.filter(layer => layer.annotations?.[titleAnnotation])
  const untitled = layers.length - titled.length
  if (untitled > 0) {
    context.log.info(
      `${untitled} layer${untitled === 1 ? '' : 's'} without a title (${titleAnnotation}) skipped: ${layers
        .filter(l => !l.annotations?.[titleAnnotation])
        .map(l => l.digest)
        .join(', ')}`
    )
  }
  const seen = new Set<string>()
  for (const layer of titled) {
    const title = layer.annotations?.[titleAnnotation] ?? ''
    const key = safeSegments(title).join('/')
    if (seen.has(key)) throw new Error(`two layers are titled ${JSON.stringify(title)}; refused`)
    seen.add(key)
  }

  const jobs = await Promise.all(
    titled.map(async layer => {
      const title = layer.annotations?.[titleAnnotation] ?? ''
      const folder = isFolderLayer(layer)
      return {
        title,
        folder,
        digest: layer.digest,
        size: layer.size,
        destination: folder ? partialPathFor(join(base, 'layer')) : await pathInside(base, title),
        gzip: layer.mediaType !== mediaTypes.ociLayerTar
      }
    })
  )
  try {
    const fetched = await fetchBlobs(jobs, context)
    const files: string[] = []
    for (const [i, job] of jobs.entries()) {
      if (!job.folder) {
        files.push(safeSegments(job.title).join('/'))
        continue
      }
      const result = await extractTar(job.destination, base, {
        gzip: job.gzip,
        onSkip: (entry, reason) => context.log.warning(`${job.title}: skipped ${entry}: ${reason}`)
      })
      files.push(...result.written)
      await rm(fetched[i]?.destination ?? job.destination, { force: true })
    }
    return {
      layers: jobs.map((job, i) => ({
        title: job.title,
        kind: job.folder ? 'folder' : 'file',
        blob: fetched[i] as FetchedBlob
      })),
      files: [...new Set(files)].sort()
    }
  } finally {
    // Packed folders are only ever temporary here.
    await Promise.all(
      jobs.filter(job => job.folder).map(job => rm(job.destination, { force: true }))
    )
  }
}

function isFolderLayer(layer: Descriptor): boolean {
  return layer.annotations?.[unpackAnnotation] === 'true'
}
