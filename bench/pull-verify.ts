// A client that exits 0 but left wrong or partial files must not look fast:
// after a client's first run, every copy it should have made is compared
// byte for byte with its original (cmp, which streams both), and its output
// folder must hold those files and nothing else, such as a leftover partial.

import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { basename, dirname, relative } from 'node:path'
import { promisify } from 'node:util'
import type { Landed } from './pull-peers.js'

/** What is wrong with the copies, or undefined when each is its original's bytes exactly. */
export async function verifyPulled(landed: {
  files: Landed[]
  only?: string
}): Promise<string | undefined> {
  for (const file of landed.files) {
    const same = await promisify(execFile)('cmp', ['-s', file.path, file.original]).then(
      () => true,
      () => false
    )
    if (!same) return `${file.path} is missing or differs from ${basename(file.original)}`
  }
  if (landed.only === undefined) return undefined
  const folder = landed.only
  const wanted = new Set(
    landed.files.filter(f => dirname(f.path) === folder).map(f => relative(folder, f.path))
  )
  const extra = (await readdir(folder, { recursive: true })).filter(name => !wanted.has(name))
  return extra.length > 0
    ? `left behind in its output folder: ${extra.slice(0, 3).join(', ')}`
    : undefined
}
