// The job a client process of the push benchmark carries out, written to a
// file before timing starts so that the timed process only pushes.

import { readFile, writeFile } from 'node:fs/promises'
import type { BlobFile } from './push-content.js'

export interface PushJob {
  /** The registry (raw client) or ACR login server (SDK), scheme included. */
  url: string
  repository: string
  tag: string
  /** `again`: the content is in the repository already. */
  again: boolean
  concurrency: number
  /** Every blob the manifest names, config included. */
  blobs: BlobFile[]
  manifest: BlobFile
  /** SDK only: the CA that signed the emulator's certificate, and a token for it. */
  caFile?: string
  token?: string
}

export async function writeJob(path: string, job: PushJob): Promise<void> {
  await writeFile(path, JSON.stringify(job))
}

export async function readJob(): Promise<PushJob> {
  const path = process.argv[2]
  if (!path) throw new Error('usage: node <client>.js <job.json>')
  return JSON.parse(await readFile(path, 'utf8')) as PushJob
}

/** Runs `task` on every item, at most `limit` at a time; the first failure fails the whole. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** For a client process's top level: a failure is one line on stderr and exit code 1. */
export function exitOnFailure(error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  console.error(message.replace(/\s+/g, ' '))
  process.exitCode = 1
}
