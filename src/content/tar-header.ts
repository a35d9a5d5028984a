// Tar headers, decoded one 512-byte block at a time, for readers that seek
// (tar-index) and readers that stream (tar-extract) alike. Understands ustar
// (with its name prefix), PAX extended headers (`x`, and `g` for all members
// that follow), GNU long names (`L`, `K`) and GNU base-256 sizes, and checks
// every header's checksum. A member's header carries the names and size that
// its extension headers gave it, so callers only ever see the final values.

export const tarBlock = 512
// PAX records and GNU long names are a few hundred bytes; more is not a tar we can trust.
const maxMetadataBytes = 1024 * 1024
const extensionTypes = new Set(['x', 'g', 'L', 'K'])

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError'
}

export interface TarHeader {
  /** The type flag: '0' file, '1' hard link, '2' symlink, '5' folder, ...; 'x', 'g', 'L', 'K' for extensions. */
  type: string
  /** The name as the archive gives it (not normalised): the PAX path or GNU long name if any. */
  name: string
  /** A link's target, as given. */
  linkName: string
  /** Bytes of data that follow the header (before padding to a whole block). */
  size: number
  mode: number
  /** Seconds since the epoch (PAX may give a fraction). */
  mtime: number
  /** An extension header: its data goes to `TarHeaderDecoder.extend`, not to a file. */
  extension: boolean
}

/** The data of a member of `size` bytes, padded to whole blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / tarBlock) * tarBlock
}

interface PaxFields {
  path?: string
  linkpath?: string
  size?: number
  mtime?: number
}

/** Decodes the headers of one archive in order, carrying extension headers to the member they describe. */
export class TarHeaderDecoder {
  private global: PaxFields = {}
  private local: PaxFields = {}

  /** `location` names the archive in messages. */
  constructor(private readonly location: string) {}

  /** The header in `block`, found at byte `position`; undefined at the end-of-archive (zero) block. */
  decode(block: Buffer, position: number): TarHeader | undefined {
    if (block.every(byte => byte === 0)) return undefined
    if (!checksumMatches(block)) {
      throw new TarFormatError(
        position === 0
          ? `${this.location} is not a tar archive`
          : `${this.location} has a damaged tar header at byte ${position}`
      )
    }
    const type = String.fromCharCode(block[156] ?? 0)
    const extension = extensionTypes.has(type)
    // A PAX size replaces the header's field, which then may hold anything.
    const fields: PaxFields = extension ? {} : { ...this.global, ...this.local }
    const size = fields.size ?? headerSize(block, this.location, position)
    if (extension && size > maxMetadataBytes) {
      throw new TarFormatError(`${this.location} has a ${size}-byte tar extension header`)
    }
    if (!extension) this.local = {}
    return {
      type,
      name: fields.path ?? headerName(block),
      linkName: fields.linkpath ?? cString(block.subarray(157, 257)),
      size,
      mode: octalNumber(block.subarray(100, 108)) ?? 0,
      mtime: fields.mtime ?? octalNumber(block.subarray(136, 148)) ?? 0,
      extension
    }
  }

  /** Takes in the data of the extension header `header`, for the members it applies to. */
  extend(header: TarHeader, data: Buffer): void {
    if (header.type === 'x') this.local = { ...this.local, ...parsePax(data, this.location) }
    else if (header.type === 'g') this.global = { ...this.global, ...parsePax(data, this.location) }
    else if (header.type === 'L') this.local = { ...this.local, path: cString(data) }
    else if (header.type === 'K') this.local = { ...this.local, linkpath: cString(data) }
  }
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
    else if (key === 'mtime' && /^\d+(\.\d+)?$/.test(value)) fields.mtime = Number(value)
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
  for (let i = 0; i < tarBlock; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0)
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

/** A member of a streamed archive; `body` yields its data and must be read, or left, before the next. */
export interface TarMember {
  header: TarHeader
  body: AsyncIterable<Buffer>
}

/**
 * The members of the tar stream `input`, in order, extension headers applied.
 * Data is passed on as it arrives, never gathered, except the small data of
 * extension headers. The rest of the stream after the end-of-archive block is
 * read too, so that a damaged compressed stream is noticed.
 */
export async function* readTarStream(
  input: AsyncIterable<Buffer>,
  location: string
): AsyncGenerator<TarMember> {
  const source = new ByteSource(input, location)
  const headers = new TarHeaderDecoder(location)
  try {
    for (;;) {
      const position = source.position
      const block = await source.exactly(tarBlock, true)
      const header = block && headers.decode(block, position)
      if (header === undefined) break
      if (header.extension) {
        headers.extend(header, (await source.exactly(header.size)) ?? Buffer.alloc(0))
        await source.skip(paddedSize(header.size) - header.size)
        continue
      }
      let left = header.size
      const body = (async function* () {
        while (left > 0) {
          const chunk = await source.upTo(left)
          left -= chunk.length
          yield chunk
        }
      })()
      yield { header, body }
      await source.skip(left + paddedSize(header.size) - header.size)
    }
    while ((await source.upTo(64 * 1024, true)).length > 0);
  } finally {
    await source.close()
  }
}

/** Bytes from a stream, taken in the amounts a tar reader asks for. */
class ByteSource {
  private pending: Buffer = Buffer.alloc(0)
  private readonly chunks: AsyncIterator<Buffer>
  position = 0

  constructor(
    input: AsyncIterable<Buffer>,
    private readonly location: string
  ) {
    this.chunks = input[Symbol.asyncIterator]()
  }

  /** Between 1 and `max` bytes; at the end of the stream, none if `endOk`, else an error. */
  async upTo(max: number, endOk = false): Promise<Buffer> {
    while (this.pending.length === 0) {
      const next = await this.chunks.next()
      if (next.done) {
        if (endOk) return Buffer.alloc(0)
        throw new TarFormatError(`${this.location} is truncated at byte ${this.position}`)
      }
      this.pending = next.value
    }
    const taken = this.pending.subarray(0, max)
    this.pending = this.pending.subarray(taken.length)
    this.position += taken.length
    return taken
  }

  /** Exactly `length` bytes; undefined if the stream ends first at a block boundary and `endOk`. */
  async exactly(length: number, endOk = false): Promise<Buffer | undefined> {
    const parts: Buffer[] = []
    for (let got = 0; got < length;) {
      const part = await this.upTo(length - got, endOk && got === 0)
      if (part.length === 0) return undefined
      parts.push(part)
      got += part.length
    }
    return Buffer.concat(parts)
  }

  async skip(length: number): Promise<void> {
    for (let left = length; left > 0;) left -= (await this.upTo(left)).length
  }

  async close(): Promise<void> {
    await this.chunks.return?.()
  }
}
