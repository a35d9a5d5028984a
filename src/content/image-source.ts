// What `push` with `oci-layout` reads: an OCI image layout folder, a tar of
// one (gzip-compressed or not), or a `docker save` archive in either of its
// forms. Tars are indexed once and read in place, never unpacked; a gzip
// tar is first decompressed to a file, since gzip can't be read at an offset.

import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { isGzip, readDockerArchive } from './docker-archive.js'
import {
  ImageSourceError,
  readOciLayout,
  type ImageSource,
  type LayoutFiles
} from './oci-layout.js'
import { indexTar, normaliseEntryName, TarFormatError } from './tar-index.js'

export { ImageSourceError } from './oci-layout.js'
export type { ImageSource, SourceBlob, SourceManifest } from './oci-layout.js'

export interface ImageSourceOptions {
  /** A folder for decompressed archives and gzipped layers; the caller removes it. */
  tempDir: string
  /** Which image, when the layout or archive holds several: a ref name, `name:tag` or a tag. */
  ref?: string
}

export async function readImageSource(
  path: string,
  options: ImageSourceOptions
): Promise<ImageSource> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new ImageSourceError(
      error.code === 'ENOENT' ? `${path}: no such file or folder` : `${path}: ${error.message}`
    )
  })
  // A folder of its own, so two reads never share files and a failed one leaves none behind.
  const workDir = await mkdtemp(join(options.tempDir, 'image-source-'))
  try {
    const files = info.isDirectory() ? folderFiles(path) : await archiveFiles(path, workDir)
    const form = info.isDirectory() ? 'folder' : 'tar'
    const has = async (name: string) => (await files.size(name)) !== undefined
    const [layout, index, dockerManifest] = await Promise.all(
      ['oci-layout', 'index.json', 'manifest.json'].map(has)
    )
    // Docker 25+ writes an OCI layout and a classic manifest.json side by side: the layout says more.
    if (layout && index) {
      const kind = dockerManifest ? 'docker save (OCI)' : `oci-layout ${form}`
      return await readOciLayout(files, kind, options.ref)
    }
    if (dockerManifest) return await readDockerArchive(files, workDir, options.ref)
    throw new ImageSourceError(
      layout
        ? `${path}: index.json is missing, so this OCI image layout names no image`
        : `${path} is neither an OCI image layout (no oci-layout file) nor a docker save archive (no manifest.json)`
    )
  } catch (error) {
    await rm(workDir, { recursive: true, force: true })
    throw asImageSourceError(error, path)
  }
}

async function archiveFiles(path: string, workDir: string): Promise<LayoutFiles> {
  const handle = await open(path, 'r')
  const head = Buffer.alloc(2)
  try {
    await handle.read(head, 0, 2, 0)
  } finally {
    await handle.close()
  }
  if (!isGzip(head)) return indexTar(path)
  const tar = join(workDir, 'archive.tar')
  await pipeline(createReadStream(path), createGunzip(), createWriteStream(tar))
  return indexTar(tar, path)
}

/** The files of a layout or archive that is already unpacked into a folder. */
export function folderFiles(dir: string): LayoutFiles {
  const pathOf = (name: string): string => {
    const normal = normaliseEntryName(name)
    if (normal === undefined || normal === '') {
      throw new ImageSourceError(`${dir}: ${name} is not a path inside it`)
    }
    return join(dir, normal)
  }
  return {
    location: dir,
    async size(name) {
      const found = await stat(pathOf(name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
        throw error
      })
      return found?.isFile() ? found.size : undefined
    },
    open(name, range) {
      if (range !== undefined && range.start > range.end) return Readable.from([])
      return createReadStream(pathOf(name), range)
    },
    async read(name, maxBytes) {
      const handle = await open(pathOf(name), 'r')
      try {
        const { size } = await handle.stat()
        if (size > maxBytes) throw new ImageSourceError(`${pathOf(name)} is over ${maxBytes} bytes`)
        const bytes = Buffer.alloc(size)
        let filled = 0
        while (filled < size) {
          const { bytesRead } = await handle.read(bytes, filled, size - filled, filled)
          if (bytesRead === 0) break
          filled += bytesRead
        }
        return bytes.subarray(0, filled)
      } finally {
        await handle.close()
      }
    }
  }
}

// File system faults and tar damage, told as faults of the user's path.
function asImageSourceError(error: unknown, path: string): unknown {
  if (error instanceof ImageSourceError) return error
  if (error instanceof TarFormatError) return new ImageSourceError(error.message, { cause: error })
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (typeof code === 'string') {
    return new ImageSourceError(`${path}: ${(error as Error).message}`, { cause: error })
  }
  return error
}
