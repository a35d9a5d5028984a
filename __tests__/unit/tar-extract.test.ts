import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, rmSync, symlinkSync } from 'node:fs'
import {
  chmod,
  link,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  stat,
  symlink,
  truncate,
  utimes,
  writeFile
} from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { gzipSync } from 'node:zlib'
import { extractTar, UnsafeEntryError } from '../../src/content/tar-extract.js'
import { TarFormatError } from '../../src/content/tar-header.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { run } from '../../test/rig/exec.js'

let work: string
beforeAll(async () => {
  work = await makeTempDir('tarextract')
})
afterAll(async () => {
  await removeTempDir(work)
})

// ---- a small tar writer, for archives that no honest tool would make ----

interface Entry {
  name: string
  /** '0' file (default), '1' hard link, '2' symlink, '3' char device, '5' folder, '6' FIFO... */
  type?: string
  content?: string
  linkname?: string
  mode?: number
  /** Carry the name in a PAX `path` record or a GNU `L` header; the ustar field gets `short`. */
  longName?: 'pax' | 'gnu'
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`
}

function headerBlock(name: string, type: string, size: number, linkname = '', mode = 0o644) {
  const block = Buffer.alloc(512)
  block.write(name, 0, 100, 'utf8')
  block.write(octal(mode, 8), 100)
  block.write(octal(0, 8), 108)
  block.write(octal(0, 8), 116)
  block.write(octal(size, 12), 124)
  block.write(octal(1_000_000_000, 12), 136)
  block.write(type, 156)
  block.write(linkname, 157, 100, 'utf8')
  block.write('ustar\u000000', 257, 'latin1')
  block.fill(0x20, 148, 156)
  const sum = block.reduce((total, byte) => total + byte, 0)
  block.write(octal(sum, 7), 148)
  return block
}

function withData(header: Buffer, data: Buffer): Buffer {
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)])
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`
  let length = Buffer.byteLength(rest) + 1
  while (String(length).length + Buffer.byteLength(rest) !== length) length++
  return `${length}${rest}`
}

function tarOf(entries: Entry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const data = Buffer.from(entry.content ?? '')
    let name = entry.name
    if (entry.longName === 'pax') {
      const records = Buffer.from(paxRecord('path', entry.name))
      parts.push(withData(headerBlock('PaxHeaders/x', 'x', records.length), records))
      name = 'short'
    } else if (entry.longName === 'gnu') {
      const long = Buffer.from(`${entry.name}\0`)
      parts.push(withData(headerBlock('././@LongLink', 'L', long.length), long))
      name = 'short'
    }
    const type = entry.type ?? '0'
    parts.push(withData(headerBlock(name, type, data.length, entry.linkname, entry.mode), data))
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)])
}

// ---- a scene: root/outside (must never change) and root/dest ----

interface Scene {
  root: string
  outside: string
  dest: string
  /** Writes `bytes` to a tar file beside the scene (not inside it) and returns its path. */
  archive(bytes: Buffer, name?: string): Promise<string>
}

let scenes = 0
async function scene(): Promise<Scene> {
  const root = join(work, `scene-${++scenes}`)
  const outside = join(root, 'outside')
  const dest = join(root, 'dest')
  await mkdir(outside, { recursive: true })
  await mkdir(dest)
  await writeFile(join(outside, 'secret'), 'keep me\n')
  await writeFile(join(outside, 'passwd'), 'root:x:0:0\n')
  const tars = join(work, `tars-${scenes}`)
  await mkdir(tars)
  let count = 0
  const archive = async (bytes: Buffer, name = `layer-${++count}.tar`) => {
    const file = join(tars, name)
    await writeFile(file, bytes)
    return file
  }
  return { root, outside, dest, archive }
}

/** Every path under `dir`, with its type, mode, content digest or link target. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {}
  const walk = async (relative: string): Promise<void> => {
    const full = join(dir, relative)
    const info = await lstat(full)
    const mode = (info.mode & 0o7777).toString(8)
    if (info.isSymbolicLink()) found[relative] = `link -> ${await readlink(full)}`
    else if (info.isDirectory()) {
      found[relative] = `folder ${mode}`
      for (const name of (await readdir(full)).sort()) await walk(join(relative, name))
    } else {
      const digest = createHash('sha256')
        .update(await readFile(full))
        .digest('hex')
      found[relative] = `file ${mode} ${digest}`
    }
  }
  await walk('.')
  return found
}

async function digestOf(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
}

async function refusal(work: Promise<unknown>): Promise<UnsafeEntryError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught
  )
  expect(error).toBeInstanceOf(UnsafeEntryError)
  return error as UnsafeEntryError
}

/** Extracting `tar` is refused, naming `entry`, and nothing in the scene (or /etc/passwd) changes. */
async function expectRefused(
  at: Scene,
  tar: string,
  entry: string,
  options: { gzip?: boolean } = {}
): Promise<UnsafeEntryError> {
  const before = await snapshot(at.root)
  const passwd = await digestOf('/etc/passwd')
  const error = await refusal(extractTar(tar, at.dest, options))
  expect(error.entry).toBe(entry)
  expect(error.message).toContain(JSON.stringify(entry))
  expect(error.reason.length).toBeGreaterThan(0)
  expect(await snapshot(at.root)).toEqual(before)
  expect(await digestOf('/etc/passwd')).toBe(passwd)
  return error
}

const first: Entry = { name: 'first.txt', content: 'written first\n' }

describe('extractTar refuses entries that reach outside the destination', () => {
  // Each archive starts with a harmless file: the refusal must come before anything is written.
  const cases: Array<
    [string, (outside: string) => Entry[], string | ((outside: string) => string), string]
  > = [
    ['a name climbing out', () => [{ name: '../x', content: 'x' }], '../x', "'..' segment"],
    ['an absolute name', () => [{ name: '/abs', content: 'x' }], '/abs', 'absolute'],
    [
      'an absolute name into the outside folder',
      outside => [{ name: join(outside, 'secret'), content: 'x' }],
      outside => join(outside, 'secret'),
      'absolute'
    ],
    [
      'a name that climbs after a folder',
      () => [
        { name: 'a/', type: '5', mode: 0o755 },
        { name: 'a/../../x', content: 'x' }
      ],
      'a/../../x',
      "'..' segment"
    ],
    ['a ./ name that climbs', () => [{ name: './a/../../x', content: 'x' }], './a/../../x', '..'],
    [
      'doubled slashes that climb',
      () => [{ name: 'a//..//../x', content: 'x' }],
      'a//..//../x',
      '..'
    ],
    ['a backslash climb', () => [{ name: '..\\x', content: 'x' }], '..\\x', '..'],
    [
      'a backslash climb inside',
      () => [{ name: 'a\\..\\..\\x', content: 'x' }],
      'a\\..\\..\\x',
      '..'
    ],
    ['a drive-letter name', () => [{ name: 'C:\\x', content: 'x' }], 'C:\\x', 'absolute'],
    [
      'a NUL in a PAX name',
      () => [{ name: 'ok\0/../../x', content: 'x', longName: 'pax' }],
      'ok\0/../../x',
      'NUL'
    ],
    [
      'a long PAX name with ..',
      () => [{ name: `${'d'.repeat(120)}/../../x`, content: 'x', longName: 'pax' }],
      `${'d'.repeat(120)}/../../x`,
      '..'
    ],
    [
      'a long GNU name with ..',
      () => [{ name: `${'g'.repeat(120)}/../../../x`, content: 'x', longName: 'gnu' }],
      `${'g'.repeat(120)}/../../../x`,
      '..'
    ],
    [
      'a link to /etc, then a file through it',
      () => [
        { name: 'l', type: '2', linkname: '/etc' },
        { name: 'l/passwd', content: 'x' }
      ],
      'l',
      'absolute'
    ],
    [
      'a link to the outside folder by its absolute path, then a file through it',
      outside => [
        { name: 'l', type: '2', linkname: outside },
        { name: 'l/secret', content: 'x' }
      ],
      'l',
      'absolute'
    ],
    [
      'a link to ../outside, then a file through it',
      () => [
        { name: 'l', type: '2', linkname: '../outside' },
        { name: 'l/x', content: 'x' }
      ],
      'l',
      'outside the destination'
    ],
    [
      'a deeper link climbing out',
      () => [{ name: 'a/b/l', type: '2', linkname: '../../../outside/secret' }],
      'a/b/l',
      'outside the destination'
    ],
    [
      'a link with .. after a name',
      () => [{ name: 'l', type: '2', linkname: 'sub/../..' }],
      'l',
      "'..' after a name"
    ],
    [
      'a link inside, then a file through it',
      () => [
        { name: 'sub/', type: '5', mode: 0o755 },
        { name: 'l', type: '2', linkname: 'sub' },
        { name: 'l/x', content: 'x' }
      ],
      'l/x',
      '"l" is an archive link'
    ],
    [
      'a hard link to /etc/passwd',
      () => [{ name: 'h', type: '1', linkname: '/etc/passwd' }],
      'h',
      'absolute'
    ],
    [
      'a hard link to the outside folder by its absolute path',
      outside => [{ name: 'h', type: '1', linkname: join(outside, 'secret') }],
      'h',
      'absolute'
    ],
    [
      'a hard link climbing out',
      () => [{ name: 'h', type: '1', linkname: '../outside/secret' }],
      'h',
      "'..' segment"
    ],
    [
      'a hard link to a file not in the archive',
      () => [{ name: 'h', type: '1', linkname: 'elsewhere' }],
      'h',
      'not a file earlier in the archive'
    ],
    [
      'a hard link to a later file',
      () => [
        { name: 'h', type: '1', linkname: 'later' },
        { name: 'later', content: 'x' }
      ],
      'h',
      'not a file earlier in the archive'
    ],
    [
      'a file over a folder of the archive',
      () => [
        { name: 'd/x', content: 'x' },
        { name: 'd', content: 'x' }
      ],
      'd',
      'replace the folder "d"'
    ]
  ]

  it.each(cases)('%s', async (_title, entries, entry, reason) => {
    const at = await scene()
    const tar = await at.archive(tarOf([first, ...entries(at.outside)]))
    const name = typeof entry === 'string' ? entry : entry(at.outside)
    const error = await expectRefused(at, tar, name)
    expect(error.reason).toContain(reason)
  })

  it('refuses an absolute name that GNU tar wrote with --absolute-names, also gzipped', async () => {
    const at = await scene()
    const source = join(at.root, '..', `payload-${scenes}`)
    await mkdir(source)
    await writeFile(join(source, 'payload'), 'overwritten\n')
    const target = join(at.outside, 'secret')
    const tar = join(source, 'abs.tar')
    await run('tar', [
      '-P',
      '--transform',
      `s|.*/payload$|${target}|`,
      '-cf',
      tar,
      join(source, 'payload')
    ])
    expect((await run('tar', ['-tPf', tar])).trim()).toBe(target)
    await expectRefused(at, tar, target)
    const gzipped = await at.archive(gzipSync(await readFile(tar)), 'abs.tar.gz')
    await expectRefused(at, gzipped, target, { gzip: true })
  })

  it('refuses a file through a link that an earlier layer wrote', async () => {
    const at = await scene()
    const layer1 = await at.archive(
      tarOf([
        { name: 'sub/', type: '5', mode: 0o755 },
        { name: 'l', type: '2', linkname: 'sub' }
      ])
    )
    expect((await extractTar(layer1, at.dest)).written).toEqual(['l'])
    const layer2 = await at.archive(tarOf([first, { name: 'l/x', content: 'through the link' }]))
    const error = await expectRefused(at, layer2, 'l/x')
    expect(error.reason).toContain('"l" is an existing link')
  })

  it('refuses a file through a link to outside that is already in the destination', async () => {
    const at = await scene()
    await symlink('../outside', join(at.dest, 'l'))
    const tar = await at.archive(tarOf([first, { name: 'l/secret', content: 'overwritten' }]))
    await expectRefused(at, tar, 'l/secret')
  })

  it('refuses a folder swapped for a link while unpacking, and removes what it wrote', async () => {
    const at = await scene()
    await mkdir(join(at.dest, 'd'))
    const tar = await at.archive(
      tarOf([first, { name: 'pipe', type: '6' }, { name: 'd/secret', content: 'overwritten' }])
    )
    const outsideBefore = await snapshot(at.outside)
    // A stand-in for another process, at a moment between the two passes' checks of `d`.
    let firstWritten = false
    const swap = () => {
      firstWritten = existsSync(join(at.dest, 'first.txt'))
      rmSync(join(at.dest, 'd'), { recursive: true })
      symlinkSync(at.outside, join(at.dest, 'd'))
    }
    const error = await refusal(extractTar(tar, at.dest, { onSkip: swap }))
    expect(error.entry).toBe('d/secret')
    expect(firstWritten).toBe(true)
    expect(await snapshot(at.outside)).toEqual(outsideBefore)
    expect(await readdir(at.dest)).toEqual(['d'])
  })
})

describe('extractTar skips what a layer may not hold', () => {
  it('skips devices, FIFOs and unknown types, reporting each, and unpacks the rest', async () => {
    const at = await scene()
    const tar = await at.archive(
      tarOf([
        { name: 'tty', type: '3' },
        { name: 'disk', type: '4' },
        { name: 'pipe', type: '6' },
        { name: 'odd', type: 'Z' },
        first
      ])
    )
    const before = await snapshot(at.outside)
    const reported: string[] = []
    const result = await extractTar(tar, at.dest, { onSkip: entry => reported.push(entry) })
    expect(await snapshot(at.outside)).toEqual(before)
    expect(reported).toEqual(['tty', 'disk', 'pipe', 'odd'])
    expect(result.skipped.map(skip => skip.entry)).toEqual(reported)
    expect(result.skipped.map(skip => skip.reason)).toEqual([
      'character devices are not unpacked',
      'block devices are not unpacked',
      'FIFOs (named pipes) are not unpacked',
      'entries of tar type "Z" are not unpacked'
    ])
    expect(result.written).toEqual(['first.txt'])
    expect(await readdir(at.dest)).toEqual(['first.txt'])
  })

  it('skips a FIFO that GNU tar archived from disk', async () => {
    const at = await scene()
    const source = join(work, `fifo-${scenes}`)
    await mkdir(source)
    await run('mkfifo', [join(source, 'pipe')])
    await writeFile(join(source, 'kept'), 'kept\n')
    const tar = join(work, `fifo-${scenes}.tar.gz`)
    await run('tar', ['-czf', tar, '-C', source, 'pipe', 'kept'])
    const result = await extractTar(tar, at.dest, { gzip: true })
    expect(result.skipped).toEqual([
      { entry: 'pipe', reason: 'FIFOs (named pipes) are not unpacked' }
    ])
    expect(await readdir(at.dest)).toEqual(['kept'])
  })
})

describe('extractTar unpacks honest layers', () => {
  // gnu keeps long names in `L` and `K` headers, posix in PAX records, ustar in its prefix field.
  it.each(['gnu', 'posix', 'ustar'])(
    'unpacks a %s tar of a tree as it was: folders, modes, links, long names, times',
    async format => {
      const at = await scene()
      const source = join(work, `tree-${scenes}`)
      const longName = `top/one/two/${'n'.repeat(95)}.txt`
      await mkdir(join(source, 'top/one/two'), { recursive: true })
      await writeFile(join(source, 'top/one/two/deep.txt'), 'deep\n')
      await writeFile(join(source, longName), 'long\n')
      await writeFile(join(source, 'top/run.sh'), '#!/bin/sh\necho hi\n')
      await chmod(join(source, 'top/run.sh'), 0o755)
      await writeFile(join(source, 'top/plain.txt'), 'plain\n')
      await chmod(join(source, 'top/plain.txt'), 0o644)
      await symlink('two/deep.txt', join(source, 'top/one/link'))
      await symlink('../../top', join(source, 'top/one/two/up'))
      if (format !== 'ustar') await symlink(longName.slice(4), join(source, 'top/far'))
      await chmod(join(source, 'top/one'), 0o750)
      const when = new Date('2001-09-09T01:46:40Z')
      for (const path of ['top/one/two/deep.txt', 'top/run.sh', longName, 'top/one']) {
        await utimes(join(source, path), when, when)
      }
      const tar = join(work, `tree-${scenes}.tar.gz`)
      await run('tar', [`--format=${format}`, '-czf', tar, '-C', source, '.'])
      const destMode = (await stat(at.dest)).mode

      const result = await extractTar(tar, at.dest, { gzip: true })
      const expected = await snapshot(source)
      expect(await snapshot(at.dest)).toEqual({ ...expected, '.': expect.any(String) })
      expect((await stat(at.dest)).mode).toBe(destMode)
      const filesAndLinks = Object.keys(expected).filter(
        key => !expected[key]?.startsWith('folder')
      )
      expect(result.written).toEqual(filesAndLinks.sort())
      expect(result.written).toContain(longName)
      expect(result.skipped).toEqual([])
      expect((await stat(join(at.dest, 'top/run.sh'))).mode & 0o777).toBe(0o755)
      expect(await readlink(join(at.dest, 'top/one/link'))).toBe('two/deep.txt')
      for (const path of ['top/one/two/deep.txt', longName, 'top/one']) {
        expect((await stat(join(at.dest, path))).mtime).toEqual(when)
      }
      const names = (await run('find', [at.dest, '-name', '*acr-partial*'])).trim()
      expect(names).toBe('')
    }
  )

  it('drops setuid, setgid and sticky bits, and gives folders their modes at the end', async () => {
    const at = await scene()
    const tar = await at.archive(
      tarOf([
        { name: 'ro/', type: '5', mode: 0o555 },
        { name: 'ro/tool', content: 'tool', mode: 0o6755 },
        { name: 'tmp/', type: '5', mode: 0o1777 }
      ])
    )
    await extractTar(tar, at.dest)
    expect((await stat(join(at.dest, 'ro'))).mode & 0o7777).toBe(0o555)
    expect((await stat(join(at.dest, 'ro/tool'))).mode & 0o7777).toBe(0o755)
    expect((await stat(join(at.dest, 'tmp'))).mode & 0o7777).toBe(0o777)
    expect(await readFile(join(at.dest, 'ro/tool'), 'utf8')).toBe('tool')
    await chmod(join(at.dest, 'ro'), 0o755)
  })

  it('writes a hard link to an earlier file as a copy', async () => {
    const at = await scene()
    const tar = await at.archive(
      tarOf([
        { name: 'a/orig.txt', content: 'shared content\n', mode: 0o640 },
        { name: 'b/copy.txt', type: '1', linkname: './a/orig.txt', mode: 0o640 }
      ])
    )
    const result = await extractTar(tar, at.dest)
    expect(result.written).toEqual(['a/orig.txt', 'b/copy.txt'])
    const orig = await stat(join(at.dest, 'a/orig.txt'))
    const copy = await stat(join(at.dest, 'b/copy.txt'))
    expect(await readFile(join(at.dest, 'b/copy.txt'), 'utf8')).toBe('shared content\n')
    expect(copy.ino).not.toBe(orig.ino)
    expect([orig.nlink, copy.nlink]).toEqual([1, 1])
    expect(copy.mode & 0o777).toBe(0o640)
  })

  it('writes a hard link that GNU tar archived from disk as a copy', async () => {
    const at = await scene()
    const source = join(work, `hard-${scenes}`)
    await mkdir(source)
    await writeFile(join(source, 'one'), 'same inode\n')
    await link(join(source, 'one'), join(source, 'two'))
    const tar = join(work, `hard-${scenes}.tar`)
    await run('tar', ['-cf', tar, '-C', source, 'one', 'two'])
    expect(await run('tar', ['-tvf', tar])).toContain('link to one')
    await extractTar(tar, at.dest)
    const [one, two] = await Promise.all(['one', 'two'].map(name => stat(join(at.dest, name))))
    expect(one?.ino).not.toBe(two?.ino)
    expect(await readFile(join(at.dest, 'two'), 'utf8')).toBe('same inode\n')
  })

  it('replaces files and links of an earlier extraction, never following a link', async () => {
    const at = await scene()
    const v1 = await at.archive(
      tarOf([
        { name: 'a.txt', content: 'one' },
        { name: 'b', content: 'a file first' },
        { name: 'c', type: '2', linkname: 'a.txt' }
      ])
    )
    await extractTar(v1, at.dest)
    // As if another tool had left a link to outside where the next layer has a file.
    await symlink('../outside/secret', join(at.dest, 'd'))
    const v2 = await at.archive(
      tarOf([
        { name: 'a.txt', content: 'two' },
        { name: 'b', type: '2', linkname: 'a.txt' },
        { name: 'c', content: 'a file now' },
        { name: 'd', content: 'mine' }
      ])
    )
    const outsideBefore = await snapshot(at.outside)
    const result = await extractTar(v2, at.dest)
    expect(result.written).toEqual(['a.txt', 'b', 'c', 'd'])
    expect(await snapshot(at.outside)).toEqual(outsideBefore)
    expect(await readFile(join(at.dest, 'a.txt'), 'utf8')).toBe('two')
    expect(await readlink(join(at.dest, 'b'))).toBe('a.txt')
    expect((await lstat(join(at.dest, 'c'))).isFile()).toBe(true)
    expect(await readFile(join(at.dest, 'd'), 'utf8')).toBe('mine')
    expect((await readdir(at.dest)).sort()).toEqual(['a.txt', 'b', 'c', 'd'])
  })

  it('unpacks a 64 MiB entry with memory that does not grow with it', async () => {
    const at = await scene()
    const size = 64 * 1024 * 1024
    const chunk = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) % 251
    const hash = createHash('sha256')
    const tar = join(work, `big-${scenes}.tar`)
    await pipeline(
      Readable.from(
        (function* () {
          yield headerBlock('big.bin', '0', size)
          for (let written = 0; written < size; written += chunk.length) {
            hash.update(chunk)
            yield chunk
          }
          yield Buffer.alloc(1024)
        })()
      ),
      createWriteStream(tar)
    )
    const expected = hash.digest('hex')

    // Collecting garbage as it goes shows what is held, not what the collector has yet to free.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as (options?: { type: 'minor' }) => void
    gc()
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
      gc({ type: 'minor' })
    }, 5)
    try {
      await extractTar(tar, at.dest)
    } finally {
      clearInterval(sampler)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    expect(peak - before).toBeLessThan(size / 8)

    const written = createHash('sha256')
    for await (const part of createReadStream(join(at.dest, 'big.bin')))
      written.update(part as Buffer)
    expect(written.digest('hex')).toBe(expected)
  })
})

describe('extractTar on damaged archives', () => {
  it('fails on a truncated gzip and leaves no file behind', async () => {
    const at = await scene()
    const source = join(work, `trunc-${scenes}`)
    await mkdir(join(source, 'data'), { recursive: true })
    await writeFile(join(source, 'data/small.txt'), 'small\n')
    await writeFile(
      join(source, 'data/noise.bin'),
      createHash('sha512').update('x').digest().toString('hex').repeat(4096)
    )
    const tar = join(work, `trunc-${scenes}.tar.gz`)
    await run('tar', ['-czf', tar, '-C', source, 'data'])
    await truncate(tar, Math.floor((await stat(tar)).size / 2))
    const before = await snapshot(at.root)
    await expect(extractTar(tar, at.dest, { gzip: true })).rejects.toThrow(TarFormatError)
    expect(await snapshot(at.root)).toEqual(before)
    expect(await readdir(at.dest)).toEqual([])
  })

  it('fails on a tar cut off inside a file and leaves no file behind', async () => {
    const at = await scene()
    const whole = tarOf([first, { name: 'second.txt', content: 'x'.repeat(2000) }])
    const tar = await at.archive(whole.subarray(0, 512 * 4))
    await expect(extractTar(tar, at.dest)).rejects.toThrow(/truncated/)
    expect(await readdir(at.dest)).toEqual([])
  })
})
