import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { cp, link, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { gunzipSync, gzipSync } from 'node:zlib'
import { readImageSource, ImageSourceError } from '../../src/content/image-source.js'
import type { ImageSource } from '../../src/content/image-source.js'
import { indexTar } from '../../src/content/tar-index.js'
import { mediaTypes } from '../../src/registry/media-types.js'
import type { ImageManifest } from '../../src/registry/types.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { run } from '../../test/rig/exec.js'
import { buildImage } from '../../test/rig/images.js'
import { OCI_INDEX, findDescriptor, writeBlob, type Descriptor } from '../../test/rig/layout.js'

const REF_NAME = 'org.opencontainers.image.ref.name'

let work: string
// One image tagged `latest`; and two, tagged `amd64` and `arm64`, in another layout.
let single: string
let multi: string

beforeAll(async () => {
  work = await makeTempDir('imagesource')
  single = join(work, 'single')
  multi = join(work, 'multi')
  await buildImage({ dir: single, files: { 'etc/motd': 'hello\n' } })
  await buildImage({ dir: multi, tag: 'amd64', arch: 'amd64', files: { arch: 'amd64\n' } })
  await buildImage({ dir: multi, tag: 'arm64', arch: 'arm64', files: { arch: 'arm64\n' } })
})

afterAll(async () => {
  await removeTempDir(work)
})

let counter = 0
async function freshDir(name: string): Promise<string> {
  const dir = join(work, `${name}-${++counter}`)
  await mkdir(dir, { recursive: true })
  return dir
}

async function copyLayout(from: string): Promise<string> {
  const dir = join(work, `copy-${++counter}`)
  await cp(from, dir, { recursive: true })
  return dir
}

async function read(path: string, ref?: string): Promise<ImageSource> {
  return readImageSource(path, { tempDir: await freshDir('temp'), ...(ref ? { ref } : {}) })
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function blobFile(layout: string, digest: string): string {
  return join(layout, 'blobs', ...digest.split(':'))
}

async function indexEntries(layout: string): Promise<Descriptor[]> {
  return (
    JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] }
  ).manifests
}

async function failure(promise: Promise<unknown>): Promise<ImageSourceError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught
  )
  expect(error).toBeInstanceOf(ImageSourceError)
  return error as ImageSourceError
}

describe('tar index', () => {
  // ustar fits long paths in its prefix field; gnu (`L`, `K`) and posix (PAX `x`, and a `g`
  // here) also store a name and a link target that no header field can hold.
  it.each([
    ['gnu', []],
    ['posix', ['--pax-option=comment=a global header']],
    ['ustar', []]
  ])('finds long names, links and ./ names in a %s tar', async (format, extra) => {
    const source = await freshDir('tree')
    const longDir = 'd'.repeat(60)
    const longName = `${longDir}/${'f'.repeat(80)}`
    const oneLongSegment = 'g'.repeat(120)
    const extended = format !== 'ustar'
    await mkdir(join(source, longDir))
    await writeFile(join(source, longName), 'long name\n')
    await writeFile(join(source, 'short'), 'short name\n')
    await symlink('../short', join(source, longDir, 'to-short'))
    await link(join(source, 'short'), join(source, 'hard'))
    if (extended) {
      await writeFile(join(source, oneLongSegment), 'one long segment\n')
      await symlink(`../${longName}`, join(source, longDir, 'far-link'))
    }
    const tar = join(await freshDir('tar'), 'tree.tar')
    await run('tar', [`--format=${format}`, ...extra, '-cf', tar, '-C', source, '.'])
    expect(await run('tar', ['-tvf', tar])).toMatch(/link to/)

    const index = await indexTar(tar)
    expect((await bytesOf(index.open(longName))).toString()).toBe('long name\n')
    expect((await bytesOf(index.open(`./${longDir}/to-short`))).toString()).toBe('short name\n')
    expect(await index.read('short', 100)).toEqual(Buffer.from('short name\n'))
    expect(await index.read('./hard', 100)).toEqual(Buffer.from('short name\n'))
    expect((await bytesOf(index.open('short', { start: 1, end: 4 }))).toString()).toBe('hort')
    expect(await index.size('missing')).toBeUndefined()
    if (extended) {
      expect(await index.read(oneLongSegment, 100)).toEqual(Buffer.from('one long segment\n'))
      expect(await index.size(`${longDir}/far-link`)).toBe('long name\n'.length)
    }
  })

  it('refuses a file that is not a tar', async () => {
    const file = join(await freshDir('junk'), 'junk.tar')
    await writeFile(file, Buffer.alloc(2048, 'x'))
    const error = await failure(read(file))
    expect(error.message).toContain(file)
    expect(error.message).toContain('not a tar archive')
  })
})

describe('OCI image layout', () => {
  it('reads a umoci layout folder: the root index.json names and every blob it needs', async () => {
    const [entry] = await indexEntries(single)
    const source = await read(single)

    expect(source.kind).toBe('oci-layout folder')
    expect(source.root.digest).toBe(entry?.digest)
    expect(sha256(source.root.bytes)).toBe(source.root.digest)
    expect(source.root.bytes).toEqual(await readFile(blobFile(single, source.root.digest)))
    expect(source.root.mediaType).toBe(mediaTypes.ociManifest)
    expect(source.manifests).toEqual([source.root])

    const manifest = JSON.parse(source.root.bytes.toString()) as ImageManifest
    const wanted = [manifest.config, ...manifest.layers]
    expect(source.blobs.map(blob => [blob.digest, blob.size, blob.mediaType])).toEqual(
      wanted.map(descriptor => [descriptor.digest, descriptor.size, descriptor.mediaType])
    )
    for (const blob of source.blobs) {
      expect((await readFile(blobFile(single, blob.digest))).length).toBe(blob.size)
    }
  })

  it.each([[['-cf']], [['-czf']], [['--format=posix', '-cf']]])(
    'reads the same layout from a tar made with tar %j, in place',
    async flags => {
      const tar = join(await freshDir('tar'), 'layout.tar')
      await run('tar', [...flags, tar, '-C', single, '.'])
      const fromFolder = await read(single)
      const fromTar = await read(tar)

      expect(fromTar.kind).toBe('oci-layout tar')
      expect(fromTar.root).toEqual(fromFolder.root)
      expect(fromTar.blobs.map(({ digest, size }) => ({ digest, size }))).toEqual(
        fromFolder.blobs.map(({ digest, size }) => ({ digest, size }))
      )
      for (const blob of fromTar.blobs) {
        const whole = await bytesOf(blob.open())
        expect(sha256(whole)).toBe(blob.digest)
        const end = Math.min(blob.size - 1, 40)
        expect(await bytesOf(blob.open({ start: 1, end }))).toEqual(whole.subarray(1, end + 1))
      }
    }
  )

  it('reads a two-platform index: children first, the index bytes exactly', async () => {
    const layout = await copyLayout(multi)
    const children: Descriptor[] = []
    for (const arch of ['amd64', 'arm64']) {
      const image = await findDescriptor(`${layout}:${arch}`)
      children.push({ ...image, platform: { architecture: arch, os: 'linux' } })
    }
    const indexJson = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children
    })
    const indexBlob = await writeBlob(layout, OCI_INDEX, indexJson)
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ ...indexBlob, annotations: { [REF_NAME]: 'v1' } }]
      })
    )

    const source = await read(layout)
    expect(source.manifests.map(manifest => manifest.digest)).toEqual([
      ...children.map(child => child.digest),
      indexBlob.digest
    ])
    expect(source.root.bytes).toEqual(Buffer.from(indexJson))
    expect(source.root.mediaType).toBe(OCI_INDEX)
    const needed = source.manifests.slice(0, 2).flatMap(child => {
      const manifest = JSON.parse(child.bytes.toString()) as ImageManifest
      return [manifest.config, ...manifest.layers].map(descriptor => descriptor.digest)
    })
    expect(source.blobs.map(blob => blob.digest).sort()).toEqual([...new Set(needed)].sort())
  })

  it('needs a ref when the layout holds several images, and picks by it', async () => {
    const names = (await indexEntries(multi)).map(entry => entry.annotations?.[REF_NAME])
    expect(names.sort()).toEqual(['amd64', 'arm64'])

    const unnamed = await failure(read(multi))
    expect(unnamed.message).toContain(multi)
    expect(unnamed.message).toContain('amd64')
    expect(unnamed.message).toContain('arm64')

    const picked = await read(multi, 'arm64')
    expect(picked.root.digest).toBe((await findDescriptor(`${multi}:arm64`)).digest)

    const unknown = await failure(read(multi, 'riscv64'))
    expect(unknown.message).toContain('riscv64')
    expect(unknown.message).toContain('amd64, arm64')
  })

  it('names the digest of a blob the layout lacks', async () => {
    const layout = await copyLayout(single)
    const { root } = await read(layout)
    const layer = (JSON.parse(root.bytes.toString()) as ImageManifest).layers[0] as Descriptor
    await rm(blobFile(layout, layer.digest))

    const error = await failure(read(layout))
    expect(error.message).toContain(layout)
    expect(error.message).toContain(layer.digest)
    expect(error.message).toContain('missing')
  })

  it('names the digest of a child manifest the layout lacks', async () => {
    const layout = await copyLayout(single)
    const absent = {
      mediaType: mediaTypes.ociManifest,
      digest: sha256(Buffer.from('absent')),
      size: 10
    }
    const index = await writeBlob(
      layout,
      OCI_INDEX,
      JSON.stringify({ schemaVersion: 2, manifests: [absent] })
    )
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [index] })
    )

    const error = await failure(read(layout))
    expect(error.message).toContain(absent.digest)
  })

  it('skips a foreign layer (with urls) that the layout leaves out', async () => {
    const layout = await copyLayout(single)
    const { root } = await read(layout)
    const manifest = JSON.parse(root.bytes.toString()) as ImageManifest
    const foreign = {
      mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
      digest: sha256(Buffer.from('foreign')),
      size: 7,
      urls: ['https://example.invalid/layer']
    }
    const withForeign = JSON.stringify({ ...manifest, layers: [foreign, ...manifest.layers] })
    const descriptor = await writeBlob(layout, mediaTypes.ociManifest, withForeign)
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [descriptor] })
    )

    const source = await read(layout)
    expect(source.root.digest).toBe(descriptor.digest)
    expect(source.blobs.map(blob => blob.digest)).toEqual(
      [manifest.config, ...manifest.layers].map(layer => layer.digest)
    )
  })

  it('refuses a manifest whose bytes do not match its digest, or that is too large', async () => {
    const layout = await copyLayout(single)
    const [entry] = await indexEntries(layout)
    const file = blobFile(layout, entry?.digest ?? '')
    const bytes = await readFile(file)
    await writeFile(
      file,
      Buffer.from(bytes.toString().replace('"schemaVersion":2', '"schemaVersion":3'))
    )
    const mismatch = await failure(read(layout))
    expect(mismatch.message).toContain(entry?.digest)
    expect(mismatch.message).toContain('does not match')

    const huge = { ...entry, size: 5 * 1024 * 1024 }
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [huge] })
    )
    const tooLarge = await failure(read(layout))
    expect(tooLarge.message).toContain('over the 4194304-byte limit')
  })

  it('refuses a blob whose size differs from its descriptor', async () => {
    const layout = await copyLayout(single)
    const { root } = await read(layout)
    const config = (JSON.parse(root.bytes.toString()) as ImageManifest).config
    await writeFile(blobFile(layout, config.digest), '{}')
    const error = await failure(read(layout))
    expect(error.message).toContain(`is 2 bytes, but manifest ${root.digest} says ${config.size}`)
  })

  it('says what is wrong with a path that is no layout', async () => {
    const empty = await freshDir('empty')
    expect((await failure(read(empty))).message).toBe(
      `${empty} is neither an OCI image layout (no oci-layout file) nor a docker save archive (no manifest.json)`
    )
    const noIndex = await copyLayout(single)
    await rm(join(noIndex, 'index.json'))
    expect((await failure(read(noIndex))).message).toContain(`${noIndex}: index.json is missing`)
    const nowhere = join(work, 'nowhere')
    expect((await failure(read(nowhere))).message).toBe(`${nowhere}: no such file or folder`)
  })
})

/** A layer tar of `files`, made by GNU tar. */
async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const rootfs = await freshDir('rootfs')
  for (const [name, content] of Object.entries(files)) await writeFile(join(rootfs, name), content)
  const tar = join(await freshDir('layer'), 'layer.tar')
  await run('tar', ['-cf', tar, '-C', rootfs, '.'])
  return readFile(tar)
}

interface StagedImage {
  tags: string[]
  layers: Buffer[]
  /** Default: the sha256 of each layer tar, as Docker writes them. */
  diffIds?: string[]
  /** Store the layers gzip-compressed, as some tools do. */
  gzip?: boolean
}

/**
 * Writes what classic `docker save` writes into `stage`: `<id>/layer.tar`
 * (a repeated layer as a symbolic link to the first, as Docker does),
 * `<config hex>.json` and `manifest.json`. Returns each image's config bytes.
 */
async function stageClassic(stage: string, images: StagedImage[]): Promise<Buffer[]> {
  const entries: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = []
  const configs: Buffer[] = []
  for (const [n, image] of images.entries()) {
    const written = new Map<string, string>()
    const layerPaths: string[] = []
    for (const [i, tar] of image.layers.entries()) {
      const id = createHash('sha256').update(`${n}/${i}`).digest('hex')
      await mkdir(join(stage, id))
      const earlier = written.get(sha256(tar))
      if (earlier === undefined) {
        await writeFile(join(stage, id, 'layer.tar'), image.gzip ? gzipSync(tar) : tar)
        written.set(sha256(tar), id)
      } else {
        await symlink(`../${earlier}/layer.tar`, join(stage, id, 'layer.tar'))
      }
      layerPaths.push(`${id}/layer.tar`)
    }
    const diffIds = image.diffIds ?? image.layers.map(sha256)
    const config = {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [`IMAGE=${n}`] },
      rootfs: { type: 'layers', diff_ids: diffIds }
    }
    const bytes = Buffer.from(`${JSON.stringify(config, null, 2)}\n`)
    const name = `${sha256(bytes).slice('sha256:'.length)}.json`
    await writeFile(join(stage, name), bytes)
    entries.push({ Config: name, RepoTags: image.tags, Layers: layerPaths })
    configs.push(bytes)
  }
  await writeFile(join(stage, 'manifest.json'), JSON.stringify(entries))
  return configs
}

async function packDir(dir: string): Promise<string> {
  const tar = join(await freshDir('archive'), 'image.tar')
  await run('tar', ['-cf', tar, '-C', dir, '.'])
  return tar
}

describe('docker save archive', () => {
  it('builds a v2 manifest from a classic archive: config kept, layers gzipped, same digest every time', async () => {
    const first = await layerTar({ 'a.txt': 'layer one\n' })
    const second = await layerTar({ 'b.txt': 'layer two\n' })
    const stage = await freshDir('stage')
    const [config] = await stageClassic(stage, [
      { tags: ['example/app:v1'], layers: [first, second, first] }
    ])
    const archive = await packDir(stage)

    const source = await read(archive)
    expect(source.kind).toBe('docker save (classic)')
    expect(source.root.mediaType).toBe(mediaTypes.dockerManifest)
    expect(source.manifests).toEqual([source.root])
    expect(source.root.digest).toBe(sha256(source.root.bytes))

    const manifest = JSON.parse(source.root.bytes.toString()) as ImageManifest
    expect(manifest.mediaType).toBe(mediaTypes.dockerManifest)
    expect(manifest.config).toEqual({
      mediaType: mediaTypes.dockerConfig,
      size: config?.length,
      digest: sha256(config ?? Buffer.alloc(0))
    })
    expect(manifest.layers.map(layer => layer.mediaType)).toEqual(
      Array(3).fill(mediaTypes.dockerLayer)
    )
    expect(manifest.layers[2]?.digest).toBe(manifest.layers[0]?.digest)

    const blobs = new Map(source.blobs.map(blob => [blob.digest, blob]))
    expect(blobs.size).toBe(source.blobs.length)
    expect(source.blobs).toHaveLength(3)
    expect(await bytesOf(blobs.get(manifest.config.digest)!.open())).toEqual(config)
    for (const [i, original] of [first, second, first].entries()) {
      const descriptor = manifest.layers[i] as Descriptor
      const blob = blobs.get(descriptor.digest)!
      const gzip = await bytesOf(blob.open())
      expect(gzip.length).toBe(descriptor.size)
      expect(sha256(gzip)).toBe(descriptor.digest)
      expect(gunzipSync(gzip)).toEqual(original)
      expect(await bytesOf(blob.open({ start: 2, end: 9 }))).toEqual(gzip.subarray(2, 10))
    }

    const again = await read(archive)
    expect(again.root.digest).toBe(source.root.digest)
    const unpacked = await read(stage)
    expect(unpacked.root.bytes).toEqual(source.root.bytes)
  })

  it('keeps a layer that is already gzip as it is', async () => {
    const tar = await layerTar({ 'c.txt': 'compressed already\n' })
    const stage = await freshDir('stage')
    await stageClassic(stage, [{ tags: ['example/app:gz'], layers: [tar], gzip: true }])
    const stored = await readFile(
      join(stage, JSON.parse(await readFile(join(stage, 'manifest.json'), 'utf8'))[0].Layers[0])
    )

    const source = await read(await packDir(stage))
    const manifest = JSON.parse(source.root.bytes.toString()) as ImageManifest
    expect(manifest.layers).toEqual([
      { mediaType: mediaTypes.dockerLayer, size: stored.length, digest: sha256(stored) }
    ])
    const layer = source.blobs.find(blob => blob.digest === sha256(stored))
    expect(await bytesOf(layer!.open())).toEqual(stored)
  })

  it('refuses a layer whose content is not the diff_id the config names, leaving no files', async () => {
    const tar = await layerTar({ 'd.txt': 'real content\n' })
    const claimed = sha256(Buffer.from('something else'))
    const stage = await freshDir('stage')
    await stageClassic(stage, [{ tags: ['example/app:bad'], layers: [tar], diffIds: [claimed] }])
    const archive = await packDir(stage)
    const tempDir = await freshDir('temp')

    const error = await failure(readImageSource(archive, { tempDir }))
    expect(error.message).toContain(archive)
    expect(error.message).toContain(`diff_ids[0] is ${claimed}`)
    expect(error.message).toContain(sha256(tar))
    expect(await readdir(tempDir)).toEqual([])
  })

  it('needs a ref when the archive holds several images, by name:tag or by tag', async () => {
    const stage = await freshDir('stage')
    await stageClassic(stage, [
      { tags: ['example/app:v1'], layers: [await layerTar({ 'v.txt': '1\n' })] },
      {
        tags: ['example/app:v2', 'example/app:latest'],
        layers: [await layerTar({ 'v.txt': '2\n' })]
      }
    ])
    const archive = await packDir(stage)

    const unnamed = await failure(read(archive))
    expect(unnamed.message).toContain('example/app:v1')
    expect(unnamed.message).toContain('example/app:v2')

    const configOf = async (ref: string) =>
      (JSON.parse((await read(archive, ref)).root.bytes.toString()) as ImageManifest).config.digest
    const byFullName = await configOf('example/app:v2')
    expect(await configOf('latest')).toBe(byFullName)
    expect(await configOf('v1')).not.toBe(byFullName)

    const unknown = await failure(read(archive, 'v3'))
    expect(unknown.message).toContain('no image v3')
  })

  it('reads the newer form (an OCI layout beside manifest.json) through index.json', async () => {
    const layout = await copyLayout(single)
    const { root } = await read(layout)
    const manifest = JSON.parse(root.bytes.toString()) as ImageManifest
    const inBlobs = (descriptor: Descriptor) => `blobs/${descriptor.digest.replace(':', '/')}`
    await writeFile(
      join(layout, 'manifest.json'),
      JSON.stringify([
        {
          Config: inBlobs(manifest.config),
          RepoTags: ['example/app:latest'],
          Layers: manifest.layers.map(inBlobs)
        }
      ])
    )
    await writeFile(join(layout, 'repositories'), '{}')
    const [entry] = await indexEntries(layout)

    const source = await read(await packDir(layout))
    expect(source.kind).toBe('docker save (OCI)')
    expect(source.root.digest).toBe(entry?.digest)
    expect(source.root.mediaType).toBe(mediaTypes.ociManifest)
  })
})
