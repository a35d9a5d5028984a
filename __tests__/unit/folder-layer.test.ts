import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import {
  access,
  chmod,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  stat,
  symlink,
  utimes,
  writeFile
} from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import {
  contentDigestAnnotation,
  folderLayerAnnotations,
  packFolder,
  unpackAnnotation
} from '../../src/content/folder-layer.js'
import { FileChangedError } from '../../src/content/file-changed.js'
import { UnsupportedEntryError } from '../../src/content/tar-writer.js'

const execFileAsync = promisify(execFile)

// GNU tar prints times in local time and escapes non-ASCII bytes in the C locale.
async function tar(args: string[]): Promise<string> {
  const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' }
  const { stdout } = await execFileAsync('tar', ['--quoting-style=literal', ...args], { env })
  return stdout
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return `sha256:${hash.digest('hex')}`
}

/** sha256 and length of what `gunzip -c` writes, streamed. */
async function gunzipDigest(path: string): Promise<{ digest: string; size: number }> {
  const child = spawn('gunzip', ['-c', path], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>(done => child.once('close', done))
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of child.stdout) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  expect(await exited).toBe(0)
  return { digest: `sha256:${hash.digest('hex')}`, size }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false
  )
}

/** Every path under `folder`, itself first, for touching them all. */
async function walk(folder: string): Promise<string[]> {
  const paths = [folder]
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name)
    paths.push(...(entry.isDirectory() ? await walk(path) : [path]))
  }
  return paths
}

let work: string
let dist: string
let counter = 0
const nextLayer = (): string => join(work, `layer-${++counter}.tar.gz`)

const files: Record<string, { content: Buffer; mode: number }> = {
  'B.txt': { content: Buffer.from('capital first\n'), mode: 0o644 },
  'a.txt': { content: Buffer.from('hello\n'), mode: 0o644 },
  'run.sh': { content: Buffer.from('#!/bin/sh\necho run\n'), mode: 0o755 },
  'secret.key': { content: Buffer.from('k'), mode: 0o600 },
  'sub-x.txt': { content: Buffer.from('dash sorts before slash\n'), mode: 0o640 },
  'sub/b.bin': { content: randomBytes(3000), mode: 0o644 },
  sub0: { content: Buffer.alloc(0), mode: 0o644 }
}
const links: Record<string, string> = { link: 'a.txt', dangling: '../outside/nothing' }

beforeAll(async () => {
  work = await makeTempDir('folderlayer')
  dist = join(work, 'dist')
  await mkdir(join(dist, 'sub'), { recursive: true })
  await mkdir(join(dist, 'empty'))
  await chmod(join(dist, 'empty'), 0o700)
  for (const [name, file] of Object.entries(files)) {
    await writeFile(join(dist, name), file.content)
    await chmod(join(dist, name), file.mode)
  }
  for (const [name, target] of Object.entries(links)) await symlink(target, join(dist, name))
  await link(join(dist, 'a.txt'), join(dist, 'hard.txt'))
})

afterAll(async () => {
  await removeTempDir(work)
})

describe('packFolder', () => {
  it('lists the entries in byte order with their modes, owner 0/0 and mtime 0', async () => {
    const layer = nextLayer()
    await packFolder(dist, layer)
    const listed = (await tar(['-tvzf', layer])).trimEnd().split('\n')
    const rows = listed.map(line => {
      const match = /^(\S{10}) (\S+)\s+(\d+) (\S+ \S+) (.*)$/.exec(line)
      expect(match).not.toBeNull()
      const [, mode, owner, size, time, name] = match!
      return { mode, owner, size: Number(size), time, name }
    })
    const size = (name: string): number => files[name]!.content.length
    expect(rows.map(({ mode, size, name }) => [mode, size, name])).toEqual([
      ['drwxr-xr-x', 0, 'dist/'],
      ['-rw-r--r--', size('B.txt'), 'dist/B.txt'],
      ['-rw-r--r--', size('a.txt'), 'dist/a.txt'],
      ['lrwxrwxrwx', 0, 'dist/dangling -> ../outside/nothing'],
      ['drwx------', 0, 'dist/empty/'],
      ['-rw-r--r--', size('a.txt'), 'dist/hard.txt'],
      ['lrwxrwxrwx', 0, 'dist/link -> a.txt'],
      ['-rwxr-xr-x', size('run.sh'), 'dist/run.sh'],
      ['-rw-------', size('secret.key'), 'dist/secret.key'],
      ['-rw-r-----', size('sub-x.txt'), 'dist/sub-x.txt'],
      ['drwxr-xr-x', 0, 'dist/sub/'],
      ['-rw-r--r--', size('sub/b.bin'), 'dist/sub/b.bin'],
      ['-rw-r--r--', 0, 'dist/sub0']
    ])
    for (const row of rows) {
      expect(row.owner).toBe('0/0')
      expect(row.time).toBe('1970-01-01 00:00')
    }
  })

  it('extracts to the same bytes, modes and link targets', async () => {
    const layer = nextLayer()
    await packFolder(dist, layer)
    const out = join(work, `extract-${counter}`)
    await mkdir(out)
    await tar(['-xpzf', layer, '-C', out])
    for (const [name, file] of Object.entries(files)) {
      const extracted = join(out, 'dist', name)
      expect(await readFile(extracted)).toEqual(file.content)
      expect((await stat(extracted)).mode & 0o777).toBe(file.mode)
    }
    for (const [name, target] of Object.entries(links)) {
      const extracted = join(out, 'dist', name)
      expect((await lstat(extracted)).isSymbolicLink()).toBe(true)
      expect(await readlink(extracted)).toBe(target)
    }
    const hard = await lstat(join(out, 'dist', 'hard.txt'))
    expect(hard.isFile()).toBe(true)
    expect(hard.nlink).toBe(1)
    expect(await readFile(join(out, 'dist', 'hard.txt'))).toEqual(files['a.txt']!.content)
    expect((await stat(join(out, 'dist', 'empty'))).mode & 0o777).toBe(0o700)
    expect((await readdir(join(out, 'dist'))).sort()).toEqual(
      [...Object.keys(files).filter(name => !name.includes('/')), 'sub', 'empty', 'hard.txt']
        .concat(Object.keys(links))
        .sort()
    )
  })

  it('gives the same digests twice, also after every mtime changed', async () => {
    const first = await packFolder(dist, nextLayer())
    const second = await packFolder(dist, nextLayer())
    expect(second).toEqual(first)

    const when = new Date('2021-06-15T12:34:56Z')
    for (const path of (await walk(dist)).reverse()) {
      if ((await lstat(path)).isSymbolicLink()) await lutimes(path, when, when)
      else await utimes(path, when, when)
    }
    expect((await stat(join(dist, 'a.txt'))).mtime).toEqual(when)
    expect(await packFolder(dist, nextLayer())).toEqual(first)
  })

  it('gives another digest when a file mode changes', async () => {
    const before = await packFolder(dist, nextLayer())
    await chmod(join(dist, 'a.txt'), 0o755)
    try {
      const after = await packFolder(dist, nextLayer())
      expect(after.digest).not.toBe(before.digest)
      expect(after.uncompressedDigest).not.toBe(before.uncompressedDigest)
    } finally {
      await chmod(join(dist, 'a.txt'), files['a.txt']!.mode)
    }
    expect((await packFolder(dist, nextLayer())).digest).toBe(before.digest)
  })

  it('reports digests of the gzip file and of what gunzip gives back', async () => {
    const layer = nextLayer()
    const packed = await packFolder(dist, layer)
    expect(packed.digest).toBe(await sha256OfFile(layer))
    expect(packed.size).toBe((await stat(layer)).size)
    const tarball = await gunzipDigest(layer)
    expect(packed.uncompressedDigest).toBe(tarball.digest)
    expect(packed.uncompressedSize).toBe(tarball.size)
    expect(packed.uncompressedSize % 512).toBe(0)
    expect(folderLayerAnnotations(packed)).toEqual({
      [unpackAnnotation]: 'true',
      [contentDigestAnnotation]: tarball.digest
    })
    expect(unpackAnnotation).toBe('io.deis.oras.content.unpack')
    expect(contentDigestAnnotation).toBe('io.deis.oras.content.digest')
  })

  it('round-trips long and non-ASCII names and link targets through GNU tar', async () => {
    const root = join(work, 'names')
    const fileNames = [
      `${'d'.repeat(60)}/${'f'.repeat(60)}.txt`, // over 100 bytes, fits ustar's prefix
      'n'.repeat(200), // one name over 100 bytes: no prefix split possible
      `${'a'.repeat(100)}/${'b'.repeat(100)}/${'c'.repeat(100)}.txt`, // over 255 bytes
      'café-日本語-ü.txt'
    ]
    const linkTargets: Record<string, string> = {
      'long-link': 't'.repeat(150),
      'unicode-link': 'ziel-ä'
    }
    for (const [index, name] of fileNames.entries()) {
      await mkdir(join(root, name, '..'), { recursive: true })
      await writeFile(join(root, name), `file ${index}\n`)
    }
    for (const [name, target] of Object.entries(linkTargets)) {
      await symlink(target, join(root, name))
    }

    const layer = nextLayer()
    await packFolder(root, layer)
    const listed = (await tar(['-tzf', layer])).trimEnd().split('\n')
    const expected = [
      'names/',
      ...fileNames.map(name => `names/${name}`),
      ...Object.keys(linkTargets).map(name => `names/${name}`),
      `names/${'d'.repeat(60)}/`,
      `names/${'a'.repeat(100)}/`,
      `names/${'a'.repeat(100)}/${'b'.repeat(100)}/`
    ].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect(listed).toEqual(expected)

    const out = join(work, `extract-names-${counter}`)
    await mkdir(out)
    await tar(['-xzf', layer, '-C', out])
    for (const [index, name] of fileNames.entries()) {
      expect(await readFile(join(out, 'names', name), 'utf8')).toBe(`file ${index}\n`)
    }
    for (const [name, target] of Object.entries(linkTargets)) {
      expect(await readlink(join(out, 'names', name))).toBe(target)
    }
  })

  it('refuses a FIFO with a typed error naming it, leaving no file behind', async () => {
    const root = join(work, 'with-fifo')
    await mkdir(root)
    await writeFile(join(root, 'a.txt'), 'before the pipe\n')
    const fifo = join(root, 'pipe')
    await execFileAsync('mkfifo', [fifo])
    const layer = nextLayer()
    const failure = await packFolder(root, layer).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(UnsupportedEntryError)
    expect((failure as UnsupportedEntryError).path).toBe(fifo)
    expect((failure as Error).message).toContain(fifo)
    expect(await exists(layer)).toBe(false)
  })

  it('fails when a file is not the size it had when opened', async () => {
    // procfs files claim size 0 and then read as text: a file that "grew".
    const layer = nextLayer()
    const failure = await packFolder('/proc/sys/kernel/random', layer).catch(
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(FileChangedError)
    expect((failure as FileChangedError).path).toMatch(/^\/proc\/sys\/kernel\/random\/\w+$/)
    expect((failure as FileChangedError).expected).toBe(0)
    expect(await exists(layer)).toBe(false)
  })

  it('packs a 64 MiB file with memory growth well under its size', async () => {
    const root = join(work, 'big')
    await mkdir(root)
    const big = join(root, 'big.bin')
    const mib = 1024 * 1024
    const handle = await open(big, 'w')
    try {
      // Random bytes, so gzip cannot shrink the work away.
      for (let i = 0; i < 64; i++) await handle.write(randomBytes(mib))
    } finally {
      await handle.close()
    }

    const baseline = process.memoryUsage().rss
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 5)
    let packed
    try {
      packed = await packFolder(root, nextLayer())
    } finally {
      clearInterval(sampler)
    }
    peak = Math.max(peak, process.memoryUsage().rss)

    expect(packed.uncompressedSize).toBeGreaterThan(64 * mib)
    expect(peak - baseline).toBeLessThan(48 * mib)
  })
})
