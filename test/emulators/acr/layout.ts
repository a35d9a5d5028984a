// The backing registry's filesystem storage (distribution's layout under
// `docker/registry/v2/`), for what distribution 2.8 has no API for: listing
// every manifest of a repository (untagged ones too), deleting one tag, and
// deleting a whole repository, which ACR does server-side. Blob bytes are
// read from here too, as ACR's storage account serves the same layout.

import { createReadStream, readdirSync, readFileSync, statSync, type ReadStream } from 'node:fs'
import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Registry } from '../../rig/registry.js'

const HEX = /^[a-f0-9]{64}$/

// Every request lists a repository's manifests and tags afresh (the registry's
// storage stays the truth), a couple of hundred tiny files for a repository of
// a hundred images. Read synchronously they take a tenth of the time they take
// through the thread pool, which would otherwise make the emulator, not the
// client under test, the slowest part of every benchmark.
function entries(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

interface KnownLink {
  ino: number
  mtimeMs: number
  size: number
  digest: string | undefined
}

// A link file is read again only when its inode, time or size changed, and a
// stat costs a fraction of a read. The registry rewrites a link in place, and
// file times move in steps of a few milliseconds, so two writes close together
// could leave the same stat: a link written in the last second is not trusted
// to the cache, and any later write gives it a time that differs.
const settledMs = 1000

class LinkReader {
  private readonly known = new Map<string, KnownLink>()

  read(file: string): string | undefined {
    const info = statSync(file, { throwIfNoEntry: false })
    if (!info?.isFile()) {
      this.known.delete(file)
      return undefined
    }
    const known = this.known.get(file)
    if (known?.ino === info.ino && known.mtimeMs === info.mtimeMs && known.size === info.size) {
      return known.digest
    }
    let digest: string | undefined
    try {
      const text = readFileSync(file, 'utf8').trim()
      digest = /^sha256:[a-f0-9]{64}$/.test(text) ? text : undefined
    } catch {
      digest = undefined
    }
    if (Date.now() - info.mtimeMs > settledMs) {
      this.known.set(file, { ino: info.ino, mtimeMs: info.mtimeMs, size: info.size, digest })
    } else {
      this.known.delete(file)
    }
    return digest
  }
}

export class StorageLayout {
  readonly root: string
  private readonly links = new LinkReader()

  constructor(registry: Registry) {
    // test/rig/registry.ts configures `storage.filesystem.rootdirectory: <dir>/storage`.
    this.root = join(registry.dir, 'storage', 'docker', 'registry', 'v2')
  }

  /** Every repository that holds at least one manifest, by name. */
  async repositories(): Promise<string[]> {
    const found: string[] = []
    const walk = async (dir: string, prefix: string[]): Promise<void> => {
      for (const name of entries(dir)) {
        if (name === '_manifests') {
          if ((await this.manifests(prefix.join('/'))).length > 0) found.push(prefix.join('/'))
        } else if (!name.startsWith('_')) {
          await walk(join(dir, name), [...prefix, name])
        }
      }
    }
    await walk(join(this.root, 'repositories'), [])
    return found.sort()
  }

  /** Digests of the repository's manifests; a deleted one leaves its folder but not its link. */
  async manifests(repository: string): Promise<string[]> {
    const dir = join(this.manifestsFolder(repository), 'revisions', 'sha256')
    return entries(dir)
      .filter(hex => HEX.test(hex))
      .map(hex => this.links.read(join(dir, hex, 'link')))
      .filter((digest): digest is string => digest !== undefined)
  }

  async tags(repository: string): Promise<Array<{ name: string; digest: string }>> {
    const dir = join(this.manifestsFolder(repository), 'tags')
    const tags = entries(dir).map(name => ({
      name,
      digest: this.links.read(join(dir, name, 'current', 'link'))
    }))
    return tags.filter((tag): tag is { name: string; digest: string } => tag.digest !== undefined)
  }

  async readBlob(digest: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.blobFile(digest))
    } catch {
      return undefined
    }
  }

  async blobStat(digest: string): Promise<{ size: number; modified: Date } | undefined> {
    try {
      const info = await stat(this.blobFile(digest))
      return { size: info.size, modified: info.mtime }
    } catch {
      return undefined
    }
  }

  openBlob(digest: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.blobFile(digest), range)
  }

  /** What distribution's own untag does: the tag's folder goes, the manifest stays. */
  async removeTag(repository: string, tag: string): Promise<void> {
    await rm(join(this.manifestsFolder(repository), 'tags', tag), { recursive: true, force: true })
  }

  async removeRepository(repository: string): Promise<void> {
    await rm(join(this.root, 'repositories', ...repository.split('/')), {
      recursive: true,
      force: true
    })
  }

  /** The path of a blob relative to the root, the form ACR's storage URLs carry. */
  static blobPath(digest: string): string {
    const hex = digest.slice('sha256:'.length)
    return `docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`
  }

  private blobFile(digest: string): string {
    const hex = digest.slice('sha256:'.length)
    if (!digest.startsWith('sha256:') || !HEX.test(hex)) throw new Error(`bad digest ${digest}`)
    return join(this.root, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data')
  }

  private manifestsFolder(repository: string): string {
    return join(this.root, 'repositories', ...repository.split('/'), '_manifests')
  }
}
