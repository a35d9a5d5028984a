// Where a name from a registry may be written: only inside the destination
// folder, never through a link. A layer title is untrusted input: `../x`,
// `/abs` and a path through a symlink that an earlier layer wrote would all
// write somewhere else if joined naively.

import { lstat, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

/** A name that would lead outside the destination; `entry` is the name as the registry gave it. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError'

  constructor(
    readonly entry: string,
    readonly reason: string
  ) {
    super(`refused ${JSON.stringify(entry)}: ${reason}; nothing was written outside the folder`)
  }
}

/**
 * The segments of a relative `/`-separated name, or an UnsafePathError. `.`
 * and empty segments are dropped; `..`, an absolute name, a drive letter, a
 * backslash or a NUL are refused outright rather than interpreted.
 */
export function safeSegments(entry: string): string[] {
  if (entry.includes('\0')) throw new UnsafePathError(entry, 'the name holds a NUL byte')
  if (entry.includes('\\')) throw new UnsafePathError(entry, 'the name holds a backslash')
  if (entry.startsWith('/') || /^[A-Za-z]:/.test(entry)) {
    throw new UnsafePathError(entry, 'the name is absolute')
  }
  const segments = entry.split('/').filter(s => s !== '' && s !== '.')
  if (segments.includes('..')) throw new UnsafePathError(entry, 'the name climbs out with ..')
  if (segments.length === 0) throw new UnsafePathError(entry, 'the name is empty')
  return segments
}

/**
 * The path of `entry` under `dest`, with its parent folders created. Every
 * part of the way that already exists must be a real folder: a link there
 * (written by an earlier layer, or planted in the folder) is refused.
 */
export async function pathInside(dest: string, entry: string): Promise<string> {
  const segments = safeSegments(entry)
  let current = dest
  for (const segment of segments.slice(0, -1)) {
    current = join(current, segment)
    // Parallel downloads may create the same folder: a folder that appears in between is fine.
    await mkdir(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
    const info = await lstat(current)
    if (info.isSymbolicLink()) {
      throw new UnsafePathError(entry, `${segments.join('/')} goes through a link`)
    }
    if (!info.isDirectory()) {
      throw new UnsafePathError(entry, `a part of ${segments.join('/')} is a file, not a folder`)
    }
  }
  return join(current, segments[segments.length - 1] ?? '')
}
