// The hash that follows a file as it is written: it must equal the sha256 of
// what ended up in the file, however the writes and the notices interleave,
// and say so when the file holds less than it was told.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { trailingHash } from '../../src/content/trailing-hash.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'

let dir: string

beforeAll(async () => {
  dir = await makeTempDir('trailing-hash')
})

afterAll(async () => {
  await removeTempDir(dir)
})

const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

describe('trailingHash', () => {
  /**
   * Writes `content` in `stretches`, announcing each once it is on disk, then
   * the rest unannounced (as a download's last batch is), and finishes.
   */
  async function hashWhileWriting(name: string, content: Buffer, stretches: number[]) {
    const path = join(dir, name)
    const file = await open(path, 'wx')
    const hash = trailingHash(path)
    try {
      let at = 0
      for (const size of stretches) {
        const part = content.subarray(at, at + size)
        await file.write(part, 0, part.length, at)
        at += part.length
        hash.written(at)
      }
      const rest = content.subarray(at)
      await file.write(rest, 0, rest.length, at)
      return await hash.finish(content.length)
    } finally {
      await file.close()
    }
  }

  it('hashes a file written in uneven stretches, each announced once it is on disk', async () => {
    const content = randomBytes(5 * 1024 * 1024 + 12_345)
    const stretches = [1, 700_000, 3 * 1024 * 1024, 1_000_000, 65_536]
    expect(await hashWhileWriting('grown', content, stretches)).toBe(sha256(content))
  })

  // Past 16 MiB the worker is woken while the writes go on, not only by finish.
  it('hashes a 40 MiB file announced a MiB at a time', async () => {
    const content = randomBytes(40 * 1024 * 1024 + 7)
    const stretches = new Array<number>(40).fill(1024 * 1024)
    expect(await hashWhileWriting('long', content, stretches)).toBe(sha256(content))
  })

  it('gives the digest of what is in the file, not of what was meant to be', async () => {
    const path = join(dir, 'changed')
    const content = randomBytes(2 * 1024 * 1024)
    await writeFile(path, content)
    const hash = trailingHash(path)
    content[100] = (content[100] ?? 0) ^ 0xff
    expect(await hash.finish(content.length)).toBe(sha256(await readFile(path)))
    expect(sha256(await readFile(path))).not.toBe(sha256(content))
  })

  it('fails when the file ends before the size it was told', async () => {
    const path = join(dir, 'short')
    await writeFile(path, randomBytes(1000))
    await expect(trailingHash(path).finish(2000)).rejects.toThrow(/ended at 1000 bytes/)
  })

  it('fails when the file is not there', async () => {
    await expect(trailingHash(join(dir, 'missing')).finish(10)).rejects.toThrow(/hashing/)
  })
})
