// An index of a tar archive's members, built from the headers alone (decoded
// by tar-header): the bytes of a member are then read straight out of the
// archive, so an image tar is never unpacked. Later members of the same name
// replace earlier ones, as they do when tar extracts.

import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { posix } from 'node:path'
import { Readable } from 'node:stream'
import { paddedSize, tarBlock, TarFormatError, TarHeaderDecoder } from './tar-header.js'

export { TarFormatError } from './tar-header.js'

const maxLinkHops = 16

/** Where a regular file's bytes lie in the archive. */
export interface TarEntry {
  offset: number
  size: number
}

type Member = ({ kind: 'file' } & TarEntry) | { kind: 'hardlink' | 'symlink'; target: string }

/** `./a//b/` and `/a/b` are both `a/b`; undefined for names that climb out of the archive. */
export function normaliseEntryName(name: string): string | undefined {
  const normal = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '')
  if (normal === '..' || normal.startsWith('../')) return undefined
  return normal === '.' ? '' : normal
}

export class TarIndex {
  constructor(
    /** The archive on disk. */
    readonly file: string,
    private readonly members: ReadonlyMap<string, Member>,
    /** What to call it in messages (the user's path, when `file` is a decompressed copy). */
    readonly location: string = file
  ) {}

  /** The regular file at `name`, following links inside the archive. */
  entry(name: string): TarEntry | undefined {
    let current = normaliseEntryName(name)
    for (let hop = 0; current !== undefined && hop <= maxLinkHops; hop++) {
      const member = this.members.get(current)
      if (member === undefined) return undefined
      if (member.kind === 'file') return { offset: member.offset, size: member.size }
      // A hard link names another member; a symbolic link is relative to its own folder.
      current =
        member.kind === 'hardlink'
          ? normaliseEntryName(member.target)
          : member.target.startsWith('/')
            ? undefined
            : normaliseEntryName(posix.join(posix.dirname(current), member.target))
    }
    return undefined
  }

  async size(name: string): Promise<number | undefined> {
    return this.entry(name)?.size
  }

  /** A stream of the member's bytes from `start` to `end` (inclusive), all of them by default. */
  open(name: string, range?: { start: number; end: number }): Readable {
    const found = this.entry(name)
    if (found === undefined) throw new TarFormatError(`${this.location} has no file ${name}`)
    const start = range?.start ?? 0
    const end = range?.end ?? found.size - 1
    if (start < 0 || end >= found.size || start > end + 1) {
      throw new RangeError(`bytes ${start}-${end} are outside ${name} (${found.size} bytes)`)
    }
    if (start > end) return Readable.from([])
    return createReadStream(this.file, {
      start: found.offset + start,
      end: found.offset + end
    })
  }

  /** The member's bytes, for small files such as manifests; refuses more than `maxBytes`. */
  async read(name: string, maxBytes: number): Promise<Buffer> {
    const found = this.entry(name)
    if (found === undefined) throw new TarFormatError(`${this.location} has no file ${name}`)
    if (found.size > maxBytes) {
      throw new TarFormatError(`${name} in ${this.location} is over ${maxBytes} bytes`)
    }
    const handle = await open(this.file, 'r')
    try {
      return await readExactly(handle, found.offset, found.size)
    } finally {
      await handle.close()
    }
  }
}

/**
 * Reads every header of the tar at `file` once (never the members' data) and
 * indexes them. `location` names the archive in messages.
 */
export async function indexTar(file: string, location: string = file): Promise<TarIndex> {
  const handle = await open(file, 'r')
  try {
    const { size: total } = await handle.stat()
    const members = new Map<string, Member>()
    const headers = new TarHeaderDecoder(location)
    for (let position = 0; position + tarBlock <= total;) {
      const header = headers.decode(await readExactly(handle, position, tarBlock), position)
      if (header === undefined) break
      const dataStart = position + tarBlock
      if (dataStart + header.size > total) throw new TarFormatError(`${location} is truncated`)
      position = dataStart + paddedSize(header.size)

      if (header.extension) {
        headers.extend(header, await readExactly(handle, dataStart, header.size))
        continue
      }
      const name = normaliseEntryName(header.name)
      if (name === undefined || name === '') continue
      const { type, linkName: target } = header
      if (type === '0' || type === '\0' || type === '7') {
        members.set(name, { kind: 'file', offset: dataStart, size: header.size })
      } else if (type === '1') {
        members.set(name, { kind: 'hardlink', target })
      } else if (type === '2') {
        members.set(name, { kind: 'symlink', target })
      } else {
        // Folders, devices and the like hold no bytes anyone reads from an image archive.
        members.delete(name)
      }
    }
    return new TarIndex(file, members, location)
  } finally {
    await handle.close()
  }
}

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  for (let filled = 0; filled < length;) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled)
    if (bytesRead === 0) throw new TarFormatError(`unexpected end of file at byte ${position}`)
    filled += bytesRead
  }
  return buffer
}
