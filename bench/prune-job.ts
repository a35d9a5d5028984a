// The job a client process of the prune benchmark carries out, written to a
// file before timing starts so that the timed process only prunes: where the
// ACR emulator is, which repositories (a glob, as the action's input takes
// it), how many images to keep, and the credential it signs in with.

import { readFile, writeFile } from 'node:fs/promises'

export interface PruneJob {
  /** The ACR emulator's login server, `https://127.0.0.1:PORT`. */
  url: string
  /** The CA that signed the emulator's certificate. */
  caFile: string
  /** Repositories to prune: `*` within one path segment, `**` across `/`. */
  glob: string
  keep: number
  concurrency: number
  /** Raw limit: an ACR access token for the catalog and every repository. SDK: an Entra token. */
  token: string
}

export async function writeJob(path: string, job: PruneJob): Promise<void> {
  await writeFile(path, JSON.stringify(job))
}

export async function readJob(): Promise<PruneJob> {
  const path = process.argv[2]
  if (!path) throw new Error('usage: node <client>.js <job.json>')
  return JSON.parse(await readFile(path, 'utf8')) as PruneJob
}

/** The glob as an anchored expression, with the meaning the action documents for `repository`. */
export function globPattern(glob: string): RegExp {
  const source = glob
    .split('**')
    .map(part =>
      part
        .split('*')
        .map(text => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*')
    )
    .join('.*')
  return new RegExp(`^${source}$`)
}
