// What the demo pushes: a handful of generated files and a folder, as a build
// would leave them; a small image built with umoci into an OCI layout; and
// tiny build artifacts for prune to sort through. Contents carry the run's
// time, so every run pushes new digests.

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { buildImage } from '../test/rig/images.js'
import { findDescriptor } from '../test/rig/layout.js'

/** The `files:` input that pushes what writeSite made. */
export const SITE_FILES = 'readme.txt\ndata/*.json\nsite'

/** Writes the files and the folder under `root`; returns the paths written, relative to it. */
export async function writeSite(root: string, stamp: string): Promise<string[]> {
  const files: Record<string, string> = {
    'readme.txt': `acr-action demo, built ${stamp}\n`,
    'data/build.json': `${JSON.stringify({ built: stamp, commit: 'c0ffee1' }, null, 2)}\n`,
    'data/checks.json': `${JSON.stringify({ tests: 'passed', lint: 'passed' })}\n`,
    'site/index.html': `<!doctype html>\n<title>demo</title>\n<p>Built ${stamp}</p>\n`,
    'site/css/site.css': 'body { font-family: sans-serif }\n',
    'site/js/app.js': `console.log('built ${stamp}')\n`
  }
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
  return Object.keys(files).sort()
}

export interface BuiltImage {
  /** The layout folder, for the `oci-layout` input. */
  layout: string
  /** The image's manifest digest, as the layout records it. */
  digest: string
}

/** A one-layer image in an OCI layout, built with umoci as an image build would. */
export async function buildLayout(folder: string, stamp: string): Promise<BuiltImage> {
  const ref = await buildImage({
    dir: folder,
    tag: '1.0',
    files: {
      'etc/motd': `Hello from the acr-action demo (${stamp})\n`,
      'app/run.sh': '#!/bin/sh\ncat /etc/motd\n'
    }
  })
  return { layout: folder, digest: (await findDescriptor(ref)).digest }
}

/** One build's artifact: a file that says which build it is. */
export async function writeBuild(root: string, number: number, stamp: string): Promise<string> {
  const name = `build-${number}.txt`
  await mkdir(root, { recursive: true })
  await writeFile(join(root, name), `build ${number} of the demo, ${stamp}\n`)
  return name
}

export interface FileFacts {
  path: string
  size: number
  sha256: string
}

/** Every regular file under `root` with its size and digest, by relative `/` path. */
export async function describeTree(root: string): Promise<FileFacts[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const facts: FileFacts[] = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const full = join(entry.parentPath, entry.name)
    facts.push({
      path: relative(root, full).split(sep).join('/'),
      size: (await stat(full)).size,
      sha256: await hashFile(full)
    })
  }
  return facts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}
