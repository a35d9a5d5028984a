// The job the raw pull client carries out, written to a file before timing
// starts so that the timed process only pulls.

import { readFile, writeFile } from 'node:fs/promises'

export interface PullJob {
  /** The registry, scheme included. */
  url: string
  repository: string
  tag: string
  concurrency: number
  /** An empty folder: each layer lands there under its title. */
  out: string
}

export async function writePullJob(path: string, job: PullJob): Promise<void> {
  await writeFile(path, JSON.stringify(job))
}

export async function readPullJob(): Promise<PullJob> {
  const path = process.argv[2]
  if (!path) throw new Error('usage: node pull-raw-client.js <job.json>')
  return JSON.parse(await readFile(path, 'utf8')) as PullJob
}
