// What the pull benchmark pulls: one big file and many 1 MiB files of random
// bytes (the push benchmark's content: one titled layer a file, digests
// known before any timing), pushed once, before the runs, by the raw push
// client, so that nothing of this action's push shapes what its pull reads.

import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { makeContent, sizeLabel, type PushContent } from './push-content.js'
import { writeJob } from './push-job.js'

export interface PullContent extends PushContent {
  /** Where the registry holds it, under `tag`. */
  repository: string
  tag: string
}

export interface ContentSizes {
  bigMiB: number
  fileCount: number
}

const TAG = 'v1'
const PUSH_CONCURRENCY = 8

export async function preparePullContents(
  work: string,
  sizes: ContentSizes,
  registryUrl: string
): Promise<PullContent[]> {
  const big = [{ name: 'big.bin', mib: sizes.bigMiB }]
  const many = Array.from({ length: sizes.fileCount }, (_, i) => ({
    name: `f${String(i).padStart(4, '0')}.bin`,
    mib: 1
  }))
  const made = [
    await makeContent(join(work, 'big'), 'big', sizeLabel(sizes.bigMiB), big, 'big.bin'),
    await makeContent(join(work, 'many'), 'many', `${sizes.fileCount} × 1 MiB`, many, '*')
  ]
  const contents = made.map(content => ({
    ...content,
    repository: `bench/pull-${content.id}`,
    tag: TAG
  }))
  for (const content of contents) await pushOnce(work, registryUrl, content)
  return contents
}

async function pushOnce(work: string, registryUrl: string, content: PullContent): Promise<void> {
  const dir = join(work, 'push-jobs')
  await mkdir(dir, { recursive: true })
  const jobFile = join(dir, `${content.id}.json`)
  await writeJob(jobFile, {
    url: registryUrl,
    repository: content.repository,
    tag: content.tag,
    again: false,
    concurrency: PUSH_CONCURRENCY,
    blobs: [content.config, ...content.layers],
    manifest: content.manifest
  })
  const client = join(import.meta.dirname, 'raw-client.js')
  try {
    await promisify(execFile)(process.execPath, [client, jobFile])
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim()
    throw new Error(`pushing ${content.label} for the pull bench failed: ${stderr || error}`)
  }
}
