// This machine is a virtual machine whose host takes back guest memory that
// has stayed free for a few seconds. The first process to touch such memory
// again pays for it in kernel time: writing 1 GiB with dd costs 3.1 s of
// system time then, 0.29 s when the pages were freed just before. Which pull
// paid depended on how long the previous step took, so the same client's
// 1 GiB runs spread from 3 s to 6 s. Before every measured run the bench
// writes and removes a scratch file as large as what the run will write,
// so every client, in every run, starts on memory the host has not taken.

import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'

const MiB = 1024 * 1024

export function warmMemory(dir: string, bytes: number): void {
  const file = join(dir, 'warm-memory.scratch')
  try {
    const count = String(Math.ceil(bytes / MiB) + 64)
    execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${count}`, 'status=none'])
  } finally {
    rmSync(file, { force: true })
  }
}

/** What the bench notes say about it, for the tables. */
export const warmMemoryNote =
  'Before every run a scratch file as large as the content is written and removed (dd), because this virtual machine’s host takes back memory left free for a few seconds and the next process to touch it pays ~3 s of kernel time per GiB (dd: 3.1 s against 0.29 s); without it, whichever client ran after a pause paid, and one client’s 1 GiB runs spread from 3 s to 6 s.'
