// Tars no honest tool would write: entries in the order given, names and
// link targets exactly as given (`..`, absolute, through links), devices and
// FIFOs included. ustar headers, with a PAX record for a name over 100 bytes.

export type TarEntryType = 'file' | 'folder' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'

export interface TarEntrySpec {
  /** Written as given: `..`, absolute names and all. Over 100 bytes it goes in a PAX record. */
  name: string
  type?: TarEntryType
  content?: string | Buffer
  /** Target of a symlink or hard link, as given. */
  linkName?: string
  mode?: number
}

const TYPE_FLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  folder: '5',
  fifo: '6'
}
const BLOCK = 512

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`
}

function header(name: string, type: string, size: number, linkName: string, mode: number): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(name, 0, 100, 'utf8')
  block.write(octal(mode, 8), 100)
  block.write(octal(0, 8), 108)
  block.write(octal(0, 8), 116)
  block.write(octal(size, 12), 124)
  block.write(octal(1_700_000_000, 12), 136)
  block.write(type, 156)
  block.write(linkName, 157, 100, 'utf8')
  block.write('ustar\u000000', 257, 'latin1')
  // The checksum is summed with its own field read as spaces.
  block.fill(0x20, 148, 156)
  const sum = block.reduce((total, byte) => total + byte, 0)
  block.write(octal(sum, 7), 148)
  return block
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)])
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`
  let length = Buffer.byteLength(rest) + 1
  while (String(length).length + Buffer.byteLength(rest) !== length) length++
  return `${length}${rest}`
}

/** A tar (uncompressed) of `entries` in the order given, with its end-of-archive blocks. */
export function craftTar(entries: TarEntrySpec[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const type = entry.type ?? 'file'
    const data = Buffer.from(type === 'file' ? (entry.content ?? '') : '')
    const linkName = entry.linkName ?? ''
    const records = [
      Buffer.byteLength(entry.name) > 100 ? paxRecord('path', entry.name) : '',
      Buffer.byteLength(linkName) > 100 ? paxRecord('linkpath', linkName) : ''
    ].join('')
    if (records !== '') {
      const pax = Buffer.from(records)
      parts.push(header('PaxHeader', 'x', pax.length, '', 0o644), padded(pax))
    }
    const mode = entry.mode ?? (type === 'folder' ? 0o755 : 0o644)
    parts.push(header(entry.name, TYPE_FLAGS[type], data.length, linkName, mode), padded(data))
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}
