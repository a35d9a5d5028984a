// What every bench part runs the action with: a copy of dist/ taken when the
// bench began, and a fresh runner's environment for each measured process.

import { createHash } from 'node:crypto'
import { cp, mkdir, readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { actionEntry } from '../test/action/run-action.js'

/**
 * A copy of dist/ as it was when the bench began, so that a rebuild during
 * the runs cannot mix two builds into one table (or run a half-written one).
 */
export async function snapshotBuild(work: string): Promise<{ entry: string; id: string }> {
  const copy = join(work, 'dist')
  await cp(dirname(actionEntry), copy, { recursive: true })
  const entry = join(copy, 'index.js')
  const digest = createHash('sha256')
    .update(await readFile(entry))
    .digest('hex')
  const built = (await stat(entry)).mtime.toISOString().slice(0, 16).replace('T', ' ')
  return { entry, id: `dist/index.js sha256:${digest.slice(0, 12)}, built ${built} UTC` }
}

/** A fresh runner's environment: only PATH of the bench's own, and empty home and temp folders. */
export async function runnerEnv(scratch: string): Promise<Record<string, string>> {
  const home = join(scratch, 'home')
  const temp = join(scratch, 'temp')
  await mkdir(home, { recursive: true })
  await mkdir(temp, { recursive: true })
  return { PATH: process.env.PATH ?? '', HOME: home, RUNNER_TEMP: temp, TMPDIR: temp }
}
