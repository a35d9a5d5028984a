// An index of a tar archive's members, built from the headers alone: the
// bytes of a member are then read straight out of the archive, so an image
// tar is never unpacked. Understands ustar (with its name prefix), PAX
// extended headers (`x`, and `g` for all members that follow) and GNU long
// names (`L`, `K`). Later members of the same name replace earlier ones, as
// they do when tar extracts.

import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { posix } from 'node:path'
import { Readable } from 'node:stream'

const block = 512
// PAX records and GNU long names are a few hundred bytes; more is not a tar we can trust.
const maxMetadataBytes = 1024 * 1024
const maxLinkHops = 16

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError'
}

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
    let global: PaxFields = {}
    let local: PaxFields = {}
    for (let position = 0; position + block <= total;) {
      const header = await readExactly(handle, position, block)
      if (header.every(byte => byte === 0)) break
      if (!checksumMatches(header)) {
        throw new TarFormatError(
          position === 0
            ? `${location} is not a tar archive`
            : `${location} has a damaged tar header at byte ${position}`
        )
      }
      const type = String.fromCharCode(header[156] ?? 0)
      const extension = type === 'x' || type === 'g' || type === 'L' || type === 'K'
      const fields = { ...global, ...local }
      const size = (extension ? undefined : fields.size) ?? headerSize(header, location, position)
      const dataStart = position + block
      if (dataStart + size > total) throw new TarFormatError(`${location} is truncated`)
      position = dataStart + Math.ceil(size / block) * block

      if (extension) {
        if (size > maxMetadataBytes) {
          throw new TarFormatError(`${location} has a ${size}-byte tar extension header`)
        }
        const data = await readExactly(handle, dataStart, size)
        if (type === 'x') local = { ...local, ...parsePax(data, location) }
        else if (type === 'g') global = { ...global, ...parsePax(data, location) }
        else if (type === 'L') local = { ...local, path: cString(data) }
        else local = { ...local, linkpath: cString(data) }
        continue
      }
      local = {}
      const name = normaliseEntryName(fields.path ?? headerName(header))
      if (name === undefined || name === '') continue
      const target = fields.linkpath ?? cString(header.subarray(157, 257))
      if (type === '0' || type === '\0' || type === '7') {
        members.set(name, { kind: 'file', offset: dataStart, size })
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

interface PaxFields {
  path?: string
  linkpath?: string
  size?: number
}

// Records are `<length> <key>=<value>\n`, the length in bytes counting the whole record.
function parsePax(data: Buffer, path: string): PaxFields {
  const fields: PaxFields = {}
  for (let at = 0; at < data.length;) {
    const space = data.indexOf(0x20, at)
    const length = Number(data.subarray(at, space).toString('ascii'))
    if (
      space < 0 ||
      !Number.isInteger(length) ||
      length <= space - at ||
      at + length > data.length
    ) {
      throw new TarFormatError(`${path} has a malformed PAX header`)
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8')
    at += length
    const equals = record.indexOf('=')
    const key = record.slice(0, equals)
    const value = record.slice(equals + 1)
    if (key === 'path') fields.path = value
    else if (key === 'linkpath') fields.linkpath = value
    else if (key === 'size' && /^\d+$/.test(value)) fields.size = Number(value)
  }
  return fields
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100))
  // Only POSIX ustar has a prefix field; GNU tar keeps other data at that place.
  const posixUstar = header.subarray(257, 263).toString('latin1') === 'ustar\0'
  const prefix = posixUstar ? cString(header.subarray(345, 500)) : ''
  return prefix === '' ? name : `${prefix}/${name}`
}

function headerSize(header: Buffer, path: string, position: number): number {
  const field = header.subarray(124, 136)
  const first = field[0] ?? 0
  if (first & 0x80) {
    // GNU base-256 for members of 8 GiB and more: big-endian after the marker bit.
    let value = first & 0x7f
    for (const byte of field.subarray(1)) value = value * 256 + byte
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${path}: member too large`)
    return value
  }
  const octal = octalNumber(field)
  if (octal === undefined) {
    throw new TarFormatError(`${path} has a bad size field in the header at byte ${position}`)
  }
  return octal
}

function checksumMatches(header: Buffer): boolean {
  let sum = 0
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0)
  return octalNumber(header.subarray(148, 156)) === sum
}

function octalNumber(field: Buffer): number | undefined {
  const text = cString(field).trim()
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : text === '' ? 0 : undefined
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0)
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8')
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
