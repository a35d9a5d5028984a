// The `files` input resolved against a real folder on disk: globs within and
// across segments, folders by name, paths that lead outside refused, and
// links handled without following a loop.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compileFileGlob, FilesError, findFiles } from '../../src/content/file-glob.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'

describe('compileFileGlob', () => {
  const matches = (glob: string, path: string): boolean => compileFileGlob(glob).test(path)

  it('keeps * within one segment', () => {
    expect(matches('*.txt', 'a.txt')).toBe(true)
    expect(matches('*.txt', '.txt')).toBe(true)
    expect(matches('*.txt', 'sub/a.txt')).toBe(false)
    expect(matches('sub/*', 'sub/a')).toBe(true)
    expect(matches('sub/*', 'sub/deep/a')).toBe(false)
  })

  it('matches ? to exactly one character other than /', () => {
    expect(matches('file?.txt', 'file1.txt')).toBe(true)
    expect(matches('file?.txt', 'file10.txt')).toBe(false)
    expect(matches('file?.txt', 'file.txt')).toBe(false)
    expect(matches('a?b', 'a/b')).toBe(false)
  })

  it('lets ** span any number of segments, none included', () => {
    expect(matches('**/*.md', 'b.md')).toBe(true)
    expect(matches('**/*.md', 'x/y/z/b.md')).toBe(true)
    expect(matches('sub/**/d.txt', 'sub/d.txt')).toBe(true)
    expect(matches('sub/**/d.txt', 'sub/a/b/d.txt')).toBe(true)
    expect(matches('sub/**', 'sub/a/b/c')).toBe(true)
    expect(matches('sub/**', 'subway/a')).toBe(false)
    expect(matches('**', 'any/path/at/all')).toBe(true)
  })

  it('is anchored at both ends', () => {
    expect(matches('*.txt', 'a.txt.bak')).toBe(false)
    expect(matches('a*', 'ba')).toBe(false)
  })

  it('takes every other character literally', () => {
    expect(matches('v1.(x)+[y]^$*', 'v1.(x)+[y]^$z')).toBe(true)
    expect(matches('v1.(x)+[y]^$*', 'v1a(x)+[y]^$z')).toBe(false)
    expect(matches('a.b', 'aXb')).toBe(false)
  })
})

describe('findFiles', () => {
  let base: string

  beforeAll(async () => {
    base = await makeTempDir('glob')
    await mkdir(join(base, 'sub', 'deep'), { recursive: true })
    await mkdir(join(base, 'empty'))
    const files: Record<string, string> = {
      'a.txt': 'alpha',
      'b.md': '# b',
      'file1.txt': '1',
      'file10.txt': '10',
      'sub/c.txt': 'c',
      'sub/deep/d.txt': 'dd',
      'sub/deep/e.md': 'eee'
    }
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(base, ...name.split('/')), content)
    }
    await symlink('a.txt', join(base, 'link.txt'))
    // A link back up to the base: a walk that followed it would never end.
    await symlink('..', join(base, 'sub', 'loop'))
    await symlink('missing-target', join(base, 'dangling.txt'))
  })

  afterAll(async () => {
    await removeTempDir(base)
  })

  const titles = async (lines: string[]): Promise<string[]> =>
    (await findFiles(base, lines)).map(found => found.title)

  const failure = (lines: string[]): Promise<unknown> =>
    findFiles(base, lines).then(
      () => undefined,
      (error: unknown) => error
    )

  it('returns the files a glob matches, sorted, with their absolute paths and sizes', async () => {
    const found = await findFiles(base, ['*.txt'])
    expect(found.map(f => f.title)).toEqual(['a.txt', 'file1.txt', 'file10.txt', 'link.txt'])
    expect(found.every(f => f.kind === 'file')).toBe(true)
    expect(found[0]).toMatchObject({ path: join(base, 'a.txt'), size: 5 })
  })

  it('counts a link to a file as that file', async () => {
    const [link] = await findFiles(base, ['link.*'])
    expect(link).toMatchObject({ title: 'link.txt', kind: 'file', size: 5 })
  })

  it('walks every folder for **, yields files only and does not follow a link loop', async () => {
    expect(await titles(['**'])).toEqual([
      'a.txt',
      'b.md',
      'file1.txt',
      'file10.txt',
      'link.txt',
      'sub/c.txt',
      'sub/deep/d.txt',
      'sub/deep/e.md'
    ])
    expect(await titles(['**/*.md'])).toEqual(['b.md', 'sub/deep/e.md'])
    expect(await titles(['sub/**'])).toEqual(['sub/c.txt', 'sub/deep/d.txt', 'sub/deep/e.md'])
  })

  it('matches only files with a glob, so a glob naming only folders matches nothing', async () => {
    const error = await failure(['su*'])
    expect(error).toBeInstanceOf(FilesError)
    expect((error as Error).message).toContain('"su*"')
  })

  it('takes a plain folder path as one folder, with or without a trailing slash', async () => {
    const [sub] = await findFiles(base, ['sub'])
    expect(sub).toMatchObject({ title: 'sub', kind: 'folder', path: join(base, 'sub') })
    expect(await titles(['sub/'])).toEqual(['sub'])
    expect(await titles(['empty'])).toEqual(['empty'])
    expect(await findFiles(base, ['.'])).toEqual([expect.objectContaining({ kind: 'folder' })])
  })

  it('takes plain file paths, ./-prefixed or with backslashes, titled with / separators', async () => {
    expect(await titles(['./a.txt', 'sub/deep/d.txt', 'sub\\c.txt'])).toEqual([
      'a.txt',
      'sub/deep/d.txt',
      'sub/c.txt'
    ])
  })

  it('keeps the order of the lines and lists each path once', async () => {
    expect(await titles(['sub/c.txt', 'a.txt', '*.txt', './a.txt', 'sub/*.txt'])).toEqual([
      'sub/c.txt',
      'a.txt',
      'file1.txt',
      'file10.txt',
      'link.txt'
    ])
  })

  it.each([['../escape.txt'], ['sub/../../escape.txt'], ['**/../*'], ['..']])(
    'refuses %s, which leads outside the base, naming the line',
    async line => {
      const error = await failure([line])
      expect(error).toBeInstanceOf(FilesError)
      expect((error as Error).message).toContain(JSON.stringify(line))
    }
  )

  it('refuses an absolute path, even one that exists', async () => {
    const line = join(base, 'a.txt')
    expect((await stat(line)).isFile()).toBe(true)
    const error = await failure([line])
    expect(error).toBeInstanceOf(FilesError)
    expect((error as Error).message).toContain(JSON.stringify(line))
  })

  it('names a path that does not exist', async () => {
    const error = await failure(['a.txt', 'nope/missing.txt'])
    expect(error).toBeInstanceOf(FilesError)
    expect((error as Error).message).toContain('"nope/missing.txt"')
  })

  it('names a glob that matches nothing, even after other lines matched', async () => {
    const error = await failure(['*.txt', '**/*.none'])
    expect(error).toBeInstanceOf(FilesError)
    expect((error as FilesError).name).toBe('FilesError')
    expect((error as Error).message).toContain('"**/*.none"')
  })

  it('does not count a dangling link as a file', async () => {
    expect(await titles(['dangling*', 'a.txt']).catch((e: Error) => e.message)).toContain(
      '"dangling*"'
    )
  })
})

describe('findFiles and links out of the base', () => {
  let root: string

  beforeAll(async () => {
    root = await makeTempDir('glob-out')
    await mkdir(join(root, 'base'))
    await writeFile(join(root, 'secret.txt'), 'not to be pushed')
    await writeFile(join(root, 'base', 'kept.txt'), 'pushed')
    await symlink(join(root, 'secret.txt'), join(root, 'base', 'leak.txt'))
  })

  afterAll(async () => {
    await removeTempDir(root)
  })

  it('refuses a link that leads outside the base, named or matched by a glob', async () => {
    for (const lines of [['leak.txt'], ['*.txt']]) {
      const error = await findFiles(join(root, 'base'), lines).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(FilesError)
      expect((error as Error).message).toContain('leak.txt')
      expect((error as Error).message).toContain('outside path')
    }
    expect((await findFiles(join(root, 'base'), ['kept.txt'])).map(f => f.title)).toEqual([
      'kept.txt'
    ])
  })
})
