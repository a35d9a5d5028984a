// A reproducible tar of a folder tree, streamed. Everything that differs
// between machines or runs is fixed (mtime 0, owner 0/0 without names, only
// the rwx bits of the mode) and entries come in byte order of their names, so
// the same files always give the same bytes. POSIX ustar, with PAX records
// only where ustar cannot hold a value, as GNU tar and Go's archive/tar do.
//
// Names are relative to the folder's parent and start with the folder's own
// name (`dist/`, `dist/a.txt`), the layout `oras push` gives a folder.

import { constants, type Stats } from 'node:fs'
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { FileChangedError } from './file-changed.js'
import { Readable } from 'node:stream'

const block = 512
const ustarNameMax = 100
const ustarPrefixMax = 155
/** The largest size that 11 octal digits hold: 8 GiB less one byte. */
const ustarSizeMax = 0o77777777777
const readChunk = 64 * 1024
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A folder holds something a layer cannot carry (a socket, FIFO, device, or a name that is not UTF-8). */
export class UnsupportedEntryError extends Error {
  override readonly name = 'UnsupportedEntryError'

  constructor(
    readonly path: string,
    readonly kind: string
  ) {
    super(
      `cannot pack ${path}: ${kind} cannot be stored in a layer; remove it or pack another folder`
    )
  }
}

/**
 * The tar of `folder` and everything under it, produced as it is read. Entry
 * names start with `prefix` (default: the folder's own name), so that a pull
 * that unpacks the layer recreates the folder where its title says.
 */
export function tarFolder(folder: string, prefix?: string): Readable {
  return Readable.from(entries(resolve(folder), prefix), { objectMode: false })
}

async function* entries(root: string, prefix: string | undefined): AsyncGenerator<Buffer> {
  // The folder the caller named is followed if it is a link; nothing under it is.
  const info = await stat(root)
  const name = (prefix ?? basename(root)).replace(/\/+$/, '')
  if (!info.isDirectory() || name === '')
    throw new Error(`${root} is not a folder that can be packed`)
  yield* directory(root, `${name}/`, info)
  yield Buffer.alloc(2 * block)
}

async function* directory(path: string, name: string, info: Stats): AsyncGenerator<Buffer> {
  yield header({ name, mode: info.mode, size: 0, type: '5' })
  // Sorting each listing by name, a folder's name compared with its trailing
  // '/', puts the whole archive in byte order of its entry names.
  const children: { path: string; name: string; key: Buffer; info: Stats }[] = []
  for (const raw of await readdir(path, { encoding: 'buffer' })) {
    const childPath = join(path, decodeName(raw, join(path, raw.toString())))
    const childInfo = await lstat(childPath)
    const childName = `${name}${basename(childPath)}${childInfo.isDirectory() ? '/' : ''}`
    children.push({
      path: childPath,
      name: childName,
      key: Buffer.from(childName),
      info: childInfo
    })
  }
  children.sort((a, b) => Buffer.compare(a.key, b.key))
  for (const child of children) yield* entry(child.path, child.name, child.info)
}

async function* entry(path: string, name: string, info: Stats): AsyncGenerator<Buffer> {
  if (info.isDirectory()) {
    yield* directory(path, name, info)
  } else if (info.isSymbolicLink()) {
    const target = decodeName(await readlink(path, { encoding: 'buffer' }), path)
    yield header({ name, mode: info.mode, size: 0, type: '2', linkname: target })
  } else if (info.isFile()) {
    // A hard link is just another name for a regular file: it goes in with its content.
    yield* file(path, name)
  } else {
    throw new UnsupportedEntryError(path, kindOf(info))
  }
}

async function* file(path: string, name: string): AsyncGenerator<Buffer> {
  // Open first and describe what was opened, so a swap after the listing
  // (a link, a FIFO that would block) cannot slip in.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new UnsupportedEntryError(path, kindOf(info))
    const size = info.size
    yield header({ name, mode: info.mode, size, type: '0' })
    let read = 0
    const stream = handle.createReadStream({ autoClose: false, highWaterMark: readChunk })
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length
      if (read > size) throw new FileChangedError(path, size, read)
      yield chunk
    }
    if (read !== size) throw new FileChangedError(path, size, read)
    if (padding(size) > 0) yield Buffer.alloc(padding(size))
  } finally {
    await handle.close()
  }
}

function decodeName(raw: Buffer, path: string): string {
  try {
    return utf8.decode(raw)
  } catch {
    throw new UnsupportedEntryError(path, 'a name that is not valid UTF-8')
  }
}

function kindOf(info: Stats): string {
  if (info.isSocket()) return 'a socket'
  if (info.isFIFO()) return 'a FIFO (named pipe)'
  if (info.isCharacterDevice()) return 'a character device'
  if (info.isBlockDevice()) return 'a block device'
  return 'an entry of unknown type'
}

interface Entry {
  name: string
  mode: number
  size: number
  type: '0' | '2' | '5'
  linkname?: string
}

/** The header block(s) of one entry: a PAX extended header first when ustar falls short. */
function header(entry: Entry): Buffer {
  const name = Buffer.from(entry.name)
  const linkname = Buffer.from(entry.linkname ?? '')
  const records: [string, Buffer][] = []
  const split = splitName(name)
  if (!split) records.push(['path', name])
  if (linkname.length > ustarNameMax || !isAscii(linkname)) records.push(['linkpath', linkname])
  if (entry.size > ustarSizeMax) records.push(['size', Buffer.from(String(entry.size))])

  const ustar = ustarBlock({
    prefix: split?.prefix ?? Buffer.alloc(0),
    name: split?.name ?? fallbackName(name),
    mode: entry.mode & 0o777,
    size: entry.size > ustarSizeMax ? 0 : entry.size,
    type: entry.type,
    linkname: records.some(([key]) => key === 'linkpath') ? fallbackName(linkname) : linkname
  })
  if (records.length === 0) return ustar

  const body = Buffer.concat(records.map(([key, value]) => paxRecord(key, value)))
  const pax = ustarBlock({
    prefix: Buffer.alloc(0),
    name: fallbackName(Buffer.from(`PaxHeaders/${entry.name}`)),
    mode: 0o644,
    size: body.length,
    type: 'x',
    linkname: Buffer.alloc(0)
  })
  return Buffer.concat([pax, body, Buffer.alloc(padding(body.length)), ustar])
}

/** ustar's own long names: up to 155 bytes of folders, a '/', and up to 100 bytes. */
function splitName(name: Buffer): { prefix: Buffer; name: Buffer } | undefined {
  if (!isAscii(name)) return undefined
  if (name.length <= ustarNameMax) return { prefix: Buffer.alloc(0), name }
  // The longest prefix that fits leaves the shortest name; a trailing '/' never splits.
  for (let at = Math.min(ustarPrefixMax, name.length - 2); at > 0; at--) {
    if (name[at] !== 0x2f) continue
    if (name.length - at - 1 > ustarNameMax) return undefined
    return { prefix: name.subarray(0, at), name: name.subarray(at + 1) }
  }
  return undefined
}

/** What a reader without PAX support sees: the value's ASCII form, cut to fit. */
function fallbackName(value: Buffer): Buffer {
  const ascii = Buffer.from(value.map(byte => (byte < 0x80 ? byte : 0x5f)))
  return ascii.subarray(0, ustarNameMax)
}

function paxRecord(key: string, value: Buffer): Buffer {
  // "<length> key=value\n", the length counting its own digits.
  const rest = key.length + value.length + 3
  let length = rest + String(rest).length
  if (String(length).length > String(rest).length) length++
  return Buffer.concat([Buffer.from(`${length} ${key}=`), value, Buffer.from('\n')])
}

interface UstarFields {
  prefix: Buffer
  name: Buffer
  mode: number
  size: number
  type: string
  linkname: Buffer
}

function ustarBlock(fields: UstarFields): Buffer {
  const buffer = Buffer.alloc(block)
  fields.name.copy(buffer, 0)
  octal(buffer, 100, 8, fields.mode)
  octal(buffer, 108, 8, 0) // uid
  octal(buffer, 116, 8, 0) // gid
  octal(buffer, 124, 12, fields.size)
  octal(buffer, 136, 12, 0) // mtime
  buffer.write(fields.type, 156, 'latin1')
  fields.linkname.copy(buffer, 157)
  buffer.write('ustar\u000000', 257, 'latin1')
  // uname and gname (265, 297) stay empty: readers then show the ids.
  octal(buffer, 329, 8, 0) // devmajor
  octal(buffer, 337, 8, 0) // devminor
  fields.prefix.copy(buffer, 345)
  // The checksum is summed with its own field as spaces.
  buffer.fill(0x20, 148, 156)
  const sum = buffer.reduce((total, byte) => total + byte, 0)
  buffer.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1')
  return buffer
}

/** A zero-padded octal number filling `length - 1` digits, then NUL. */
function octal(buffer: Buffer, offset: number, length: number, value: number): void {
  buffer.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, 'latin1')
}

function isAscii(bytes: Buffer): boolean {
  return bytes.every(byte => byte < 0x80)
}

function padding(size: number): number {
  return (block - (size % block)) % block
}
