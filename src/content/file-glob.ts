// Paths and globs relative to a base folder, as the `files` input gives them.
// `*` and `?` stay within one path segment, `**` spans any number of them.
// Globs match regular files (a link to one counts); a folder is pushed by
// naming it. Nothing may lead outside the base folder, not even through a
// link: a checked-out link to /proc/self/environ or ~/.ssh must never be
// pushed. (Links inside a pushed folder are stored as links, never followed.)

import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'

export interface FoundPath {
  /** Absolute path on disk. */
  path: string
  /** The path relative to the base, `/`-separated: the layer's title. */
  title: string
  kind: 'file' | 'folder'
  size: number
  mode: number
}

export class FilesError extends Error {
  override readonly name = 'FilesError'
}

const globCharacters = /[*?]/

export function isGlob(pattern: string): boolean {
  return globCharacters.test(pattern)
}

/** Compiles a glob over `/`-separated relative paths into an anchored expression. */
export function compileFileGlob(glob: string): RegExp {
  const segments = glob.split('/')
  let source = ''
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]*/)*'
      return
    }
    source +=
      segment
        .split('')
        .map(c =>
          c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
        )
        .join('') + (last ? '' : '/')
  })
  return new RegExp(`^${source}$`)
}

/**
 * Resolves every line of `files` against `base`, in the order given, each
 * path once. A glob that matches nothing, a path that does not exist, and a
 * path outside `base` are errors that name the line.
 */
export async function findFiles(base: string, lines: string[]): Promise<FoundPath[]> {
  const found = new Map<string, FoundPath>()
  let listing: string[] | undefined
  for (const line of lines) {
    const pattern = line.replace(/\\/g, '/').replace(/^\.\//, '')
    if (isAbsolute(line) || pattern.split('/').includes('..')) {
      throw new FilesError(
        `${JSON.stringify(line)} leads outside path: give paths relative to it, without ..`
      )
    }
    if (!isGlob(pattern)) {
      const entry = await describe(base, pattern.replace(/\/+$/, ''))
      if (entry === undefined) {
        throw new FilesError(`${JSON.stringify(line)} does not exist under ${base}`)
      }
      found.set(entry.title, entry)
      continue
    }
    listing ??= await listFiles(base)
    const regex = compileFileGlob(pattern)
    const matches = listing.filter(title => regex.test(title))
    if (matches.length === 0) {
      throw new FilesError(`${JSON.stringify(line)} matches no file under ${base}`)
    }
    for (const title of matches) {
      const entry = await describe(base, title)
      if (entry !== undefined && entry.kind === 'file') found.set(title, entry)
    }
  }
  return [...found.values()]
}

async function describe(base: string, title: string): Promise<FoundPath | undefined> {
  const path = join(base, ...title.split('/'))
  const rel = relative(base, path)
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined
  try {
    const info = await stat(path)
    const real = relative(await realpath(base), await realpath(path))
    if (real.startsWith('..') || isAbsolute(real)) {
      throw new FilesError(
        `${title} is a link that leads outside path; push what it points to instead`
      )
    }
    if (!info.isFile() && !info.isDirectory()) {
      throw new FilesError(`${title} is neither a file nor a folder`)
    }
    return {
      path,
      title: rel.split(sep).join('/') || '.',
      kind: info.isDirectory() ? 'folder' : 'file',
      size: info.isFile() ? info.size : 0,
      mode: info.mode
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

// Every regular file (or link to one) below base, sorted, as `/`-separated titles.
// Links to folders are not followed, so a link loop cannot trap the walk.
async function listFiles(base: string): Promise<string[]> {
  const titles: string[] = []
  const walk = async (folder: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const title = prefix + entry.name
      const full = join(folder, entry.name)
      if (entry.isDirectory()) await walk(full, `${title}/`)
      else if (entry.isFile()) titles.push(title)
      else if (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile()) {
        titles.push(title)
      }
    }
  }
  await lstat(base)
  await walk(base, '')
  return titles.sort()
}
