// What a folder tree holds, read without following a single link, so two
// snapshots taken before and after a run show whether anything in it was
// written, replaced, linked or touched.

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'

export interface TreeEntry {
  kind: 'file' | 'folder' | 'link' | 'other'
  /** The permission bits. */
  mode: number
  /** Files: size and sha256 of the content. */
  size?: number
  sha256?: string
  /** Links: the target as stored. */
  target?: string
  /** Files and links: when they last changed, so a rewrite with equal bytes shows too. */
  mtimeMs?: number
  ino?: number
}

/** Entries by `/`-separated path relative to `root`; `skip` leaves out those paths and what is under them. */
export async function snapshotTree(
  root: string,
  skip: string[] = []
): Promise<Record<string, TreeEntry>> {
  const tree: Record<string, TreeEntry> = {}
  const walk = async (relative: string): Promise<void> => {
    for (const name of (await readdir(join(root, relative))).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`
      if (skip.includes(path)) continue
      const full = join(root, path)
      const info = await lstat(full)
      const mode = info.mode & 0o7777
      if (info.isDirectory()) {
        tree[path] = { kind: 'folder', mode }
        await walk(path)
      } else if (info.isSymbolicLink()) {
        tree[path] = {
          kind: 'link',
          mode,
          target: await readlink(full),
          mtimeMs: info.mtimeMs,
          ino: info.ino
        }
      } else if (info.isFile()) {
        tree[path] = {
          kind: 'file',
          mode,
          size: info.size,
          sha256: await hashFile(full),
          mtimeMs: info.mtimeMs,
          ino: info.ino
        }
      } else {
        tree[path] = { kind: 'other', mode }
      }
    }
  }
  await walk('')
  return tree
}

/**
 * What a pull must reproduce of a tree: kinds, contents, link targets and
 * whether a file is executable, nothing that differs between machines.
 */
export function portableView(
  tree: Record<string, TreeEntry>
): Record<string, { kind: TreeEntry['kind']; sha256?: string; target?: string; exec?: boolean }> {
  return Object.fromEntries(
    Object.entries(tree).map(([path, entry]) => [
      path,
      {
        kind: entry.kind,
        ...(entry.sha256 === undefined ? {} : { sha256: entry.sha256 }),
        ...(entry.target === undefined ? {} : { target: entry.target }),
        ...(entry.kind === 'file' ? { exec: (entry.mode & 0o100) !== 0 } : {})
      }
    ])
  )
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return `sha256:${hash.digest('hex')}`
}
