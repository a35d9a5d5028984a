// Unpacks a folder layer from a registry, where every name is untrusted. The
// archive is read twice: first every header is checked (tar-entry-check) and
// nothing is written; then entries are written one by one, files and links
// under a temporary name renamed into place, so an existing link at that
// name is replaced, never followed. Every folder on the way is checked with
// lstat just before use, so nothing is written through a link, even one an
// earlier layer made. A failure removes what this call created.

import { constants, createReadStream } from 'node:fs'
import {
  lstat,
  lutimes,
  mkdir,
  open,
  rename,
  rm,
  rmdir,
  symlink,
  writeFile,
  type FileHandle
} from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { EntryChecker, UnsafeEntryError, type Step } from './tar-entry-check.js'
import { readTarStream, TarFormatError, type TarMember } from './tar-header.js'

export { UnsafeEntryError } from './tar-entry-check.js'
export { TarFormatError } from './tar-header.js'

export interface ExtractResult {
  /** Files and links written, '/'-separated relative to the destination, sorted. */
  written: string[]
  /** Entries left out (devices, FIFOs, unknown types), with why. */
  skipped: Array<{ entry: string; reason: string }>
}

export interface ExtractOptions {
  /** The file is a gzip-compressed tar. */
  gzip?: boolean
  /** Told of each entry left out, as extraction reaches it. */
  onSkip?: (entry: string, reason: string) => void
}

/**
 * Unpacks the tar at `tarFile` (already verified against its digest) into
 * the existing folder `dest`. Throws UnsafeEntryError, having written
 * nothing, if any entry could land outside `dest`; on any failure, removes
 * what this call created.
 */
export async function extractTar(
  tarFile: string,
  dest: string,
  options: ExtractOptions = {}
): Promise<ExtractResult> {
  const steps: Step[] = []
  const checker = new EntryChecker(dest)
  for await (const member of members(tarFile, options)) steps.push(await checker.check(member))

  const writer = new LayerWriter(dest)
  const skipped: ExtractResult['skipped'] = []
  try {
    let index = 0
    for await (const member of members(tarFile, options)) {
      const step = steps[index++]
      if (step?.entry !== member.header.name || step.type !== member.header.type) {
        throw new TarFormatError(`${tarFile} changed while it was being unpacked`)
      }
      if (step.kind === 'skip') {
        skipped.push({ entry: step.entry, reason: step.reason })
        options.onSkip?.(step.entry, step.reason)
      } else if (step.kind !== 'none') {
        await writer.write(step, member)
      }
    }
    if (index !== steps.length)
      throw new TarFormatError(`${tarFile} changed while it was being unpacked`)
    await writer.finish()
  } catch (error) {
    await writer.undo()
    throw error
  }
  return { written: writer.written(), skipped }
}

async function* members(tarFile: string, options: ExtractOptions): AsyncGenerator<TarMember> {
  const file = createReadStream(tarFile)
  const input = options.gzip ? pipeline(file, createGunzip(), () => {}) : file
  try {
    yield* readTarStream(input, tarFile)
  } catch (error) {
    if (!((error as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) throw error
    throw new TarFormatError(`${tarFile} is not a whole gzip stream: ${(error as Error).message}`)
  } finally {
    input.destroy()
  }
}

type Written = Extract<Step, { kind: 'folder' | 'file' | 'copy' | 'symlink' }>
const noFollow = constants.O_NOFOLLOW
const newFile = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | noFollow
const folderFlags = constants.O_RDONLY | constants.O_DIRECTORY | noFollow

/** The second pass: writes checked steps, and can take back what it created. */
class LayerWriter {
  private readonly paths = new Set<string>()
  /** The inode each file was written to, so a copy reads that file and nothing put in its place. */
  private readonly inodes = new Map<string, number>()
  private readonly temps = new Set<string>()
  private readonly createdFiles: string[] = []
  private readonly createdFolders: string[] = []
  private readonly folderModes = new Map<string, { mode: number; mtime: number }>()

  constructor(private readonly dest: string) {}

  async write(step: Written, member: TarMember): Promise<void> {
    const full = await this.walkTo(step.entry, step.path, true)
    if (step.kind === 'folder') return this.folder(step, full)
    if (step.kind === 'symlink') {
      await this.place(step, full, async temp => {
        await symlink(step.target, temp)
        await lutimes(temp, step.mtime, step.mtime)
      })
      this.inodes.delete(step.path)
      return
    }
    const source = step.kind === 'copy' ? await this.openCopied(step.entry, step.source) : undefined
    try {
      const content = source ? source.createReadStream({ autoClose: false }) : member.body
      await this.place(step, full, async temp => {
        const handle = await open(temp, newFile, 0o600)
        try {
          await writeFile(handle, content)
          await handle.chmod(step.mode & 0o777)
          await handle.utimes(step.mtime, step.mtime)
          this.inodes.set(step.path, (await handle.stat()).ino)
        } finally {
          await handle.close()
        }
      })
    } finally {
      await source?.close()
    }
  }

  /** Folders get their modes and times last, deepest first, when nothing more goes in. */
  async finish(): Promise<void> {
    const deepestFirst = [...this.folderModes].sort(([a], [b]) => depth(b) - depth(a))
    for (const [path, { mode, mtime }] of deepestFirst) {
      const handle = await open(join(this.dest, path), folderFlags)
      try {
        await handle.chmod(mode & 0o777)
        await handle.utimes(mtime, mtime)
      } finally {
        await handle.close()
      }
    }
  }

  /** Best effort: removes temporary files, then the files and folders this call created. */
  async undo(): Promise<void> {
    const quietly = <T>(work: Promise<T>) => work.catch(() => undefined)
    for (const temp of this.temps) await quietly(rm(temp, { force: true }))
    for (const path of this.createdFiles.reverse()) {
      // Only through real folders: one swapped for a link must not aim the removal elsewhere.
      const full = await quietly(this.walkTo(path, path, false))
      if (full !== undefined) await quietly(rm(full, { force: true }))
    }
    for (const folder of this.createdFolders.reverse()) await quietly(rmdir(folder))
  }

  written(): string[] {
    return [...this.paths].sort()
  }

  /**
   * The full path of `path`, after checking that each folder on the way is a
   * real folder, not a link; missing ones are created when `create`.
   */
  private async walkTo(entry: string, path: string, create: boolean): Promise<string> {
    const segments = path.split('/')
    let full = this.dest
    for (const [index, segment] of segments.entries()) {
      if (index > 0) {
        const info = await lstat(full).catch(absentOnly)
        if (!info && create) {
          await mkdir(full, 0o755)
          this.createdFolders.push(full)
        } else if (!info?.isDirectory() || info.isSymbolicLink()) {
          const folder = segments.slice(0, index).join('/')
          throw new UnsafeEntryError(entry, `its folder ${q(folder)} is a link or file now`)
        }
      }
      full = join(full, segment)
    }
    return full
  }

  private async folder(step: Written & { kind: 'folder' }, full: string): Promise<void> {
    const info = await lstat(full).catch(absentOnly)
    if (!info) {
      // Owner rwx until the end, so that entries can go in whatever mode the folder has.
      await mkdir(full, (step.mode & 0o777) | 0o700)
      this.createdFolders.push(full)
    } else if (!info.isDirectory() || info.isSymbolicLink()) {
      throw new UnsafeEntryError(step.entry, `${q(step.path)} is a link or file now, not a folder`)
    } else if ((info.mode & 0o700) !== 0o700) {
      const handle = await open(full, folderFlags)
      await handle.chmod((info.mode & 0o777) | 0o700).finally(() => handle.close())
    }
    this.folderModes.set(step.path, { mode: step.mode, mtime: step.mtime })
  }

  /** Makes the entry at a temporary name beside `full`, then renames it over whatever is there. */
  private async place(step: Written, full: string, make: (temp: string) => Promise<void>) {
    const suffix = randomBytes(6).toString('hex')
    const temp = join(dirname(full), `.${basename(full).slice(0, 100)}.acr-partial-${suffix}`)
    this.temps.add(temp)
    await make(temp)
    const existing = await lstat(full).catch(absentOnly)
    if (existing?.isDirectory()) {
      throw new UnsafeEntryError(step.entry, `it would replace the folder ${q(step.path)}`)
    }
    await rename(temp, full)
    this.temps.delete(temp)
    if (!existing) this.createdFiles.push(step.path)
    this.paths.add(step.path)
  }

  /** The file a hard link copies, provided it is still the one this call wrote. */
  private async openCopied(entry: string, source: string): Promise<FileHandle> {
    const handle = await open(
      await this.walkTo(entry, source, false),
      constants.O_RDONLY | noFollow
    )
    const info = await handle.stat().catch(async (error: unknown) => {
      await handle.close()
      throw error
    })
    if (!info.isFile() || info.ino !== this.inodes.get(source)) {
      await handle.close()
      throw new UnsafeEntryError(entry, `its hard link target ${q(source)} changed while unpacking`)
    }
    return handle
  }
}

/** A name as it appears in messages: quoted, control characters escaped. */
function q(name: string): string {
  return JSON.stringify(name)
}

function depth(path: string): number {
  return path.split('/').length
}

function absentOnly(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined
  throw error
}
