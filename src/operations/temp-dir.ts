// A private folder for one operation's temporary files (packed folders,
// downloaded layers before they are unpacked), removed whatever happens.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export async function withTempDir<T>(
  env: NodeJS.ProcessEnv,
  task: (dir: string) => Promise<T>
): Promise<T> {
  const dir = await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), 'acr-action-'))
  try {
    return await task(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
