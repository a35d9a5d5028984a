// The first pass of unpacking an untrusted layer: every entry is checked
// against the archive so far and the destination as it is, and turned into
// a step for the second pass, or refused. Nothing is written here.
//
// Links may only point inside the destination, and only forwards after their
// leading `..`s: in `a/../b`, a later link at `a` could turn the `..` outwards.
// A hard link is allowed only to a file earlier in the same archive, since it
// is written as a copy of that file.

import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import type { TarHeader, TarMember } from './tar-header.js'

export class UnsafeEntryError extends Error {
  override readonly name = 'UnsafeEntryError'

  constructor(
    readonly entry: string,
    readonly reason: string
  ) {
    super(`refused to unpack the layer entry ${JSON.stringify(entry)}: ${reason}`)
  }
}

export type Step = { entry: string; type: string } & (
  | { kind: 'folder'; path: string; mode: number; mtime: number }
  | { kind: 'file'; path: string; mode: number; mtime: number }
  | { kind: 'copy'; path: string; source: string; mode: number; mtime: number }
  | { kind: 'symlink'; path: string; target: string; mtime: number }
  | { kind: 'skip'; reason: string }
  | { kind: 'none' }
)

type Kind = 'folder' | 'file' | 'link'
type Present = Kind | 'absent'

/** The first pass: decides what each entry is, or refuses it, writing nothing. */
export class EntryChecker {
  /** What the archive has put at each path so far, parents it implies included. */
  private readonly declared = new Map<string, Kind>()
  private readonly onDisk = new Map<string, Present>()

  constructor(private readonly dest: string) {}

  async check({ header }: TarMember): Promise<Step> {
    const { name: entry, type } = header
    const refuse: (reason: string) => never = reason => {
      throw new UnsafeEntryError(entry, reason)
    }
    const segments = safeSegments(entry, 'the name', refuse)
    const kind = kindOf(type, entry)
    if (typeof kind !== 'string') return { entry, type, kind: 'skip', reason: kind.skip }
    if (segments.length === 0) {
      if (kind === 'folder') return { entry, type, kind: 'none' }
      refuse('it names the destination folder itself')
    }
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join('/')
      const present = await this.present(parent)
      if (present === 'link') refuse(`its folder ${q(parent)} is ${this.where(parent)} link`)
      if (present === 'file') refuse(`its folder ${q(parent)} is a file`)
      this.declared.set(parent, 'folder')
    }
    const path = segments.join('/')
    const present = await this.present(path)
    if (kind === 'folder' && (present === 'file' || present === 'link')) {
      refuse(`it would replace ${this.where(path)} ${present} with a folder`)
    }
    if (kind !== 'folder' && present === 'folder') refuse(`it would replace the folder ${q(path)}`)
    const step = this.stepFor(kind, path, header, refuse)
    this.declared.set(path, kind === 'folder' ? 'folder' : kind === 'symlink' ? 'link' : 'file')
    return step
  }

  private stepFor(
    kind: 'folder' | 'file' | 'copy' | 'symlink',
    path: string,
    { name: entry, type, linkName, mode, mtime }: TarHeader,
    refuse: (reason: string) => never
  ): Step {
    if (kind === 'symlink') {
      checkLinkTarget(path.split('/'), linkName, refuse)
      return { entry, type, kind, path, target: linkName, mtime }
    }
    if (kind === 'copy') {
      const source = safeSegments(linkName, `the hard link target ${q(linkName)}`, refuse)
      if (this.declared.get(source.join('/')) !== 'file') {
        refuse(`its hard link target ${q(linkName)} is not a file earlier in the archive`)
      }
      return { entry, type, kind, path, source: source.join('/'), mode, mtime }
    }
    return { entry, type, kind, path, mode, mtime }
  }

  private async present(path: string): Promise<Present> {
    const declared = this.declared.get(path)
    if (declared !== undefined) return declared
    let found = this.onDisk.get(path)
    if (found === undefined) {
      const info = await lstat(join(this.dest, path)).catch(absentOnly)
      found = !info
        ? 'absent'
        : info.isSymbolicLink()
          ? 'link'
          : info.isDirectory()
            ? 'folder'
            : 'file'
      this.onDisk.set(path, found)
    }
    return found
  }

  private where(path: string): string {
    return this.declared.has(path) ? 'an archive' : 'an existing'
  }
}

function kindOf(
  type: string,
  name: string
): 'folder' | 'file' | 'copy' | 'symlink' | { skip: string } {
  if (type === '5') return 'folder'
  // Old tars mark a folder only by the '/' at the end of its name.
  if (type === '0' || type === '\0' || type === '7') return name.endsWith('/') ? 'folder' : 'file'
  if (type === '1') return 'copy'
  if (type === '2') return 'symlink'
  if (type === '3') return { skip: 'character devices are not unpacked' }
  if (type === '4') return { skip: 'block devices are not unpacked' }
  if (type === '6') return { skip: 'FIFOs (named pipes) are not unpacked' }
  return { skip: `entries of tar type ${JSON.stringify(type)} are not unpacked` }
}

// Windows also takes '\' as a separator, and ':' for drives and alternate data streams.
const windows = process.platform === 'win32'
const separators = windows ? /[/\\]/ : /\//
const absolute = /^([/\\]|[A-Za-z]:)/

/** The path's segments without `.` and empty ones; refuses what could reach outside. */
function safeSegments(name: string, what: string, refuse: (reason: string) => never): string[] {
  if (name.includes('\0')) refuse(`${what} holds a NUL byte`)
  // Absolute on any runner: '/x', '\x', 'C:x'.
  if (absolute.test(name)) refuse(`${what} is an absolute path`)
  if (windows && name.includes(':')) refuse(`${what} holds a ':'`)
  const segments = name.split(separators).filter(segment => segment !== '' && segment !== '.')
  // '..\x' is refused on every platform: the same layer may be pulled on Windows.
  if (segments.some(segment => segment.split('\\').includes('..'))) {
    refuse(`${what} has a '..' segment`)
  }
  return segments
}

function checkLinkTarget(link: string[], target: string, refuse: (reason: string) => never): void {
  const quoted = `the link target ${q(target)}`
  if (target === '') refuse('the link has an empty target')
  if (target.includes('\0')) refuse(`${quoted} holds a NUL byte`)
  if (absolute.test(target)) refuse(`${quoted} is an absolute path`)
  const parts = target.split(/[/\\]/).filter(part => part !== '' && part !== '.')
  const climbs = parts.findIndex(part => part !== '..')
  const up = climbs < 0 ? parts.length : climbs
  if (parts.slice(up).includes('..')) {
    refuse(`${quoted} has '..' after a name, which a later link could redirect`)
  }
  if (up > link.length - 1) refuse(`${quoted} leads outside the destination`)
}

/** A name as it appears in messages: quoted, control characters escaped. */
function q(name: string): string {
  return JSON.stringify(name)
}

function absentOnly(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined
  throw error
}
