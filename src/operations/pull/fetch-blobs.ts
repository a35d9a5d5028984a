// Fetches blobs to files: up to `concurrency` at once, largest first, each
// from the tool cache when a verified copy is there, else from the registry
// (and then kept in the cache). Every file is verified before it lands.

import { downloadBlob } from '../../registry/blob-download.js'
import type { RegistryClient } from '../../registry/client.js'
import type { BlobCache } from '../../content/blob-cache.js'
import type { TransferProgress } from '../../report/progress.js'
import { inPool } from '../pool.js'

export interface BlobJob {
  digest: string
  size: number
  /** Where the verified blob goes; its folder exists. */
  destination: string
}

export interface FetchedBlob extends BlobJob {
  source: 'cache' | 'registry'
  seconds: number
}

export interface FetchContext {
  client: RegistryClient
  repository: string
  concurrency: number
  cache?: BlobCache
  progress: TransferProgress
}

export async function fetchBlobs(jobs: BlobJob[], context: FetchContext): Promise<FetchedBlob[]> {
  const order = jobs.map((job, index) => ({ job, index })).sort((a, b) => b.job.size - a.job.size)
  const fetched = new Array<FetchedBlob>(jobs.length)
  await inPool(order, context.concurrency, async ({ job, index }) => {
    fetched[index] = await fetchOne(job, context)
  })
  return fetched
}

async function fetchOne(job: BlobJob, context: FetchContext): Promise<FetchedBlob> {
  const { client, repository, cache, progress } = context
  const started = performance.now()
  if (cache && (await cache.take(job, job.destination))) {
    progress.add(job.size)
    return { ...job, source: 'cache', seconds: (performance.now() - started) / 1000 }
  }
  const entry = cache?.entryFor(job)
  if (cache) await cache.prepare(job)
  await downloadBlob(
    client,
    repository,
    job,
    entry ? [job.destination, entry.path] : job.destination,
    {
      onBytes: bytes => progress.add(bytes)
    }
  )
  await entry?.commit()
  return { ...job, source: 'registry', seconds: (performance.now() - started) / 1000 }
}
