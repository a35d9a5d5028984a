// push and set-manifest through the bundled action, checked by clients that
// share no code with it: skopeo reads back what was pushed, GNU tar unpacks
// folder layers, and plain HTTP compares the bytes the registry serves. The
// distribution registry (2.8, no referrers API) stands in for any OCI
// registry; the ACR emulator, signed in with OIDC, for ACR with its locks and
// its injected faults.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { runActionOnAzure } from '../../test/action/on-azure.js'
import { runAction, type ActionRun } from '../../test/action/run-action.js'
import { startAzure, type Azure } from '../../test/emulators/azure.js'
import type { Fault, RateFault } from '../../test/emulators/acr/faults.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { run as runTool } from '../../test/rig/exec.js'
import { simpleRequest } from '../../test/rig/http.js'
import { buildImage, pushImage, registryFlags, skopeoInspect } from '../../test/rig/images.js'
import { findDescriptor, OCI_INDEX, OCI_MANIFEST, writeBlob } from '../../test/rig/layout.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'

const TITLE = 'org.opencontainers.image.title'
const REF_NAME = 'org.opencontainers.image.ref.name'
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json'
const FOLDER_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip'
const FILE_LAYER = 'application/octet-stream'
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST].join(', ')
const SLOW = 300_000

interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  artifactType?: string
}

interface Manifest {
  mediaType?: string
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  subject?: Descriptor
  manifests?: Descriptor[]
}

interface PushResult {
  operation: string
  digest: string
  reference: string
  mediaType: string
  size: number
  tags: string[]
  layers?: Array<Descriptor & { title?: string; status: 'uploaded' | 'exists' | 'mounted' }>
}

let registry: Registry
let work: string

beforeAll(async () => {
  registry = await startRegistry()
  work = await makeTempDir('e2e-push')
})

afterAll(async () => {
  await registry.stop()
  await removeTempDir(work)
})

const sha256 = (bytes: Buffer | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

function actionOn(target: Registry, operation: string, inputs: Record<string, string>) {
  return runAction({ operation, registry: target.url, ...inputs }, {}, SLOW)
}

/** Asserts the run succeeded and returns its `result` output. */
function succeeded(run: ActionRun): PushResult {
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  return JSON.parse(run.outputs.result ?? '{}') as PushResult
}

/** A fresh folder for a test, with `files` (path → content) and the executables among them. */
async function tree(
  name: string,
  files: Record<string, string | Buffer>,
  executables: string[] = []
): Promise<string> {
  const root = join(work, name)
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
  for (const path of executables) await chmod(join(root, path), 0o755)
  return root
}

/** Regular files under `root`, as `/`-separated relative paths. */
async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter(entry => entry.isFile())
    .map(entry => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort()
}

/** The kind of content most tests push: files in folders, a glob's worth, and a folder. */
async function artifactContent(name: string): Promise<string> {
  // A salt keeps every test's blobs its own, so no upload is skipped by accident.
  const salt = randomBytes(8).toString('hex')
  return tree(
    name,
    {
      'readme.txt': `read me ${salt}\n`,
      'data/blob.bin': randomBytes(300 * 1024),
      'notes/a.md': `# a ${salt}\n`,
      'notes/b.md': `# b ${salt}\n`,
      'site/index.html': `<p>${salt}</p>\n`,
      'site/js/app.js': `console.log('${salt}')\n`,
      'site/run.sh': `#!/bin/sh\necho ${salt}\n`
    },
    ['site/run.sh']
  )
}
const ARTIFACT_FILES = 'readme.txt\ndata/blob.bin\nnotes/*.md\nsite'
const ARTIFACT_TITLES = ['data/blob.bin', 'notes/a.md', 'notes/b.md', 'readme.txt', 'site']

async function manifestAt(target: Registry, repository: string, reference: string) {
  const response = await simpleRequest(`${target.url}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: ACCEPT }
  })
  return {
    status: response.status,
    bytes: response.bytes,
    contentType: response.headers['content-type'],
    json: () => JSON.parse(response.body) as Manifest
  }
}

async function blobAt(target: Registry, repository: string, digest: string): Promise<Buffer> {
  const response = await simpleRequest(`${target.url}/v2/${repository}/blobs/${digest}`, {
    timeoutMs: 60_000
  })
  expect(response.status).toBe(200)
  return response.bytes
}

/** skopeo copies `ref` out of the registry into an OCI layout, manifest bytes untouched. */
async function copyOut(target: Registry, ref: string, layout: string): Promise<void> {
  await runTool('skopeo', [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--preserve-digests',
    ...registryFlags(target, 'src-'),
    `docker://${target.host}/${ref}`,
    `oci:${layout}:out`
  ])
}

const layoutBlob = (layout: string, digest: string): Promise<Buffer> =>
  readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)))

describe('push: files and folders to a registry', () => {
  it('pushes files, a glob and a folder as an artifact skopeo and GNU tar read back intact', async () => {
    const content = await artifactContent('artifact')
    const run = await actionOn(registry, 'push', {
      repository: 'e2e/artifact',
      tag: 'v1',
      path: content,
      files: ARTIFACT_FILES,
      'artifact-type': 'application/vnd.example.bundle.v1',
      annotations: 'org.example.purpose=e2e\norg.example.empty='
    })
    const result = succeeded(run)
    const digest = run.outputs.digest ?? ''
    expect((await skopeoInspect(registry, `e2e/artifact@${digest}`)).digest).toBe(digest)
    expect((await skopeoInspect(registry, 'e2e/artifact:v1')).digest).toBe(digest)
    expect(run.outputs.reference).toBe(`${registry.host}/e2e/artifact@${digest}`)
    expect(run.outputs.tags).toBe('v1')

    const served = await manifestAt(registry, 'e2e/artifact', digest)
    const manifest = served.json()
    expect(served.contentType).toBe(OCI_MANIFEST)
    expect(manifest.artifactType).toBe('application/vnd.example.bundle.v1')
    expect(manifest).toMatchObject({
      annotations: { 'org.example.purpose': 'e2e', 'org.example.empty': '' }
    })
    expect(manifest.config).toMatchObject({
      mediaType: EMPTY_CONFIG,
      digest: sha256('{}'),
      size: 2
    })
    const titles = manifest.layers.map(layer => layer.annotations?.[TITLE]).sort()
    expect(titles).toEqual(ARTIFACT_TITLES)

    expect(result).toMatchObject({
      operation: 'push',
      digest,
      reference: run.outputs.reference,
      mediaType: OCI_MANIFEST,
      size: served.bytes.length,
      tags: ['v1']
    })
    expect(result.layers?.map(layer => layer.title).sort()).toEqual(ARTIFACT_TITLES)
    for (const layer of manifest.layers) {
      expect(result.layers).toContainEqual(
        expect.objectContaining({
          title: layer.annotations?.[TITLE],
          mediaType: layer.mediaType,
          digest: layer.digest,
          size: layer.size,
          status: 'uploaded'
        })
      )
    }
    const total = manifest.layers.reduce((sum, layer) => sum + layer.size, 0)
    for (const shown of [digest, run.outputs.reference ?? '', String(total), ...ARTIFACT_TITLES]) {
      expect(run.summary).toContain(shown)
    }

    const layout = join(work, 'artifact-out')
    await copyOut(registry, `e2e/artifact@${digest}`, layout)
    for (const layer of manifest.layers) {
      const title = layer.annotations?.[TITLE] ?? ''
      const blob = await layoutBlob(layout, layer.digest)
      expect(sha256(blob)).toBe(layer.digest)
      if (title === 'site') continue
      expect(layer.mediaType).toBe(FILE_LAYER)
      expect(blob.equals(await readFile(join(content, title)))).toBe(true)
    }

    const folder = manifest.layers.find(layer => layer.annotations?.[TITLE] === 'site')!
    expect(folder.mediaType).toBe(FOLDER_LAYER)
    expect(folder.annotations?.['io.deis.oras.content.unpack']).toBe('true')
    const tarball = await layoutBlob(layout, folder.digest)
    expect(folder.annotations?.['io.deis.oras.content.digest']).toBe(sha256(gunzipSync(tarball)))
    const unpacked = join(work, 'artifact-unpacked')
    await mkdir(unpacked)
    await writeFile(join(work, 'site.tar.gz'), tarball)
    await runTool('tar', ['-xzf', join(work, 'site.tar.gz'), '-C', unpacked])
    const original = join(content, 'site')
    expect(await listFiles(join(unpacked, 'site'))).toEqual(await listFiles(original))
    for (const path of await listFiles(original)) {
      const copy = join(unpacked, 'site', path)
      expect((await readFile(copy)).equals(await readFile(join(original, path)))).toBe(true)
      expect((await stat(copy)).mode & 0o111).toBe((await stat(join(original, path))).mode & 0o111)
    }
    expect((await stat(join(unpacked, 'site', 'run.sh'))).mode & 0o100).toBe(0o100)
  })

  it('is reproducible: the same files give the same digest after every mtime changed', async () => {
    const content = await artifactContent('repro')
    const inputs = { repository: 'e2e/repro', path: content, files: ARTIFACT_FILES }
    const first = succeeded(await actionOn(registry, 'push', { ...inputs, tag: 'first' }))
    const later = new Date('2031-05-06T07:08:09Z')
    for (const entry of await readdir(content, { recursive: true })) {
      await utimes(join(content, entry), later, later)
    }
    await utimes(content, later, later)
    const second = succeeded(await actionOn(registry, 'push', { ...inputs, tag: 'second' }))
    expect(second.digest).toBe(first.digest)
    expect(first.layers?.map(layer => layer.status)).toEqual(ARTIFACT_TITLES.map(() => 'uploaded'))
    expect(second.layers?.map(layer => layer.status)).toEqual(ARTIFACT_TITLES.map(() => 'exists'))
    expect((await skopeoInspect(registry, 'e2e/repro:second')).digest).toBe(first.digest)
  })

  it('sets several tags at once, all on the pushed digest', async () => {
    const content = await tree('tags', { 'one.txt': randomBytes(64).toString('hex') })
    const run = await actionOn(registry, 'push', {
      repository: 'e2e/tags',
      tag: 'one\ntwo, three',
      path: content,
      files: 'one.txt'
    })
    const result = succeeded(run)
    expect(run.outputs.tags?.split(/\s*,\s*/).sort()).toEqual(['one', 'three', 'two'])
    expect([...result.tags].sort()).toEqual(['one', 'three', 'two'])
    for (const tag of ['one', 'two', 'three']) {
      expect((await skopeoInspect(registry, `e2e/tags:${tag}`)).digest).toBe(run.outputs.digest)
    }
  })

  it('fails with one error naming files when a glob matches nothing, before any request', async () => {
    const content = await tree('no-match', { 'present.txt': 'here' })
    const before = await registry.requestCount()
    const run = await actionOn(registry, 'push', {
      repository: 'e2e/nothing',
      tag: 'v1',
      path: content,
      files: 'present.txt\nmissing/*.bin'
    })
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(/\bfiles\b/)
    expect(run.errors[0]).toContain('missing/*.bin')
    expect(await registry.requestCount()).toBe(before)
  })
})

describe('push: oci-layout and docker save archives', () => {
  async function expectSameImage(layout: string, pushedRef: string, copyName: string) {
    const original = await findDescriptor(`${layout}:latest`)
    const copy = join(work, copyName)
    await copyOut(registry, pushedRef, copy)
    expect((await findDescriptor(`${copy}:out`)).digest).toBe(original.digest)
    const manifest = JSON.parse(String(await layoutBlob(layout, original.digest))) as Manifest
    for (const blob of [original, manifest.config, ...manifest.layers]) {
      expect(
        (await layoutBlob(copy, blob.digest)).equals(await layoutBlob(layout, blob.digest))
      ).toBe(true)
    }
    return original.digest
  }

  it('pushes a umoci image from a layout folder and from its tar, byte for byte', async () => {
    const layout = join(work, 'umoci')
    await buildImage({ dir: layout, files: { 'etc/motd': `hi ${randomBytes(4).toString('hex')}` } })
    const fromFolder = await actionOn(registry, 'push', {
      repository: 'e2e/umoci',
      tag: 'v1',
      'oci-layout': layout
    })
    expect(succeeded(fromFolder).digest).toBe(
      await expectSameImage(layout, 'e2e/umoci:v1', 'umoci-out')
    )

    const tarball = join(work, 'umoci.tar')
    await runTool('tar', ['-cf', tarball, '-C', layout, '.'])
    const fromTar = await actionOn(registry, 'push', {
      repository: 'e2e/umoci-tar',
      tag: 'v1',
      'oci-layout': tarball
    })
    expect(succeeded(fromTar).digest).toBe(
      await expectSameImage(layout, 'e2e/umoci-tar:v1', 'umoci-tar-out')
    )
  })

  it('pushes a two-platform index layout keeping the index bytes, every child resolving', async () => {
    const layout = join(work, 'multi')
    const children: Array<Descriptor & { platform: { architecture: string; os: string } }> = []
    for (const architecture of ['amd64', 'arm64']) {
      const ref = await buildImage({
        dir: layout,
        tag: architecture,
        arch: architecture,
        files: { arch: architecture }
      })
      children.push({ ...(await findDescriptor(ref)), platform: { architecture, os: 'linux' } })
    }
    const indexBytes = `${JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }, null, 2)}\n`
    const index = await writeBlob(layout, OCI_INDEX, indexBytes)
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ ...index, annotations: { [REF_NAME]: 'multi' } }]
      })
    )
    const result = succeeded(
      await actionOn(registry, 'push', {
        repository: 'e2e/index',
        tag: 'multi',
        'oci-layout': layout
      })
    )
    expect(result.digest).toBe(index.digest)
    const indexServed = await manifestAt(registry, 'e2e/index', 'multi')
    expect(indexServed.bytes.equals(Buffer.from(indexBytes))).toBe(true)
    expect(indexServed.contentType).toBe(OCI_INDEX)
    for (const child of children) {
      const served = await manifestAt(registry, 'e2e/index', child.digest)
      expect(sha256(served.bytes)).toBe(child.digest)
      const manifest = served.json()
      for (const blob of [manifest.config, ...manifest.layers]) {
        expect(sha256(await blobAt(registry, 'e2e/index', blob.digest))).toBe(blob.digest)
      }
    }
  })

  it('pushes a classic docker save archive whose config skopeo reads back unchanged', async () => {
    const archive = join(work, 'docker-archive')
    const layers: Array<{ file: string; diffId: string }> = []
    const layerFiles: Array<Record<string, string>> = [
      { 'etc/motd': 'base\n' },
      { 'app/run': `#!/bin/sh\necho ${randomBytes(4).toString('hex')}\n` }
    ]
    for (const [i, files] of layerFiles.entries()) {
      const root = await tree(`docker-root-${i}`, files)
      const tarball = join(work, `docker-layer-${i}.tar`)
      await runTool('tar', [
        '-cf',
        tarball,
        '-C',
        root,
        ...Object.keys(files).map(path => path.split('/')[0] ?? '')
      ])
      const bytes = await readFile(tarball)
      const hex = sha256(bytes).slice('sha256:'.length)
      await mkdir(join(archive, hex), { recursive: true })
      await writeFile(join(archive, hex, 'layer.tar'), bytes)
      layers.push({ file: `${hex}/layer.tar`, diffId: sha256(bytes) })
    }
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/app/run'] },
        rootfs: { type: 'layers', diff_ids: layers.map(layer => layer.diffId) },
        history: layers.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'e2e' }))
      })
    )
    const configFile = `${sha256(config).slice('sha256:'.length)}.json`
    await writeFile(join(archive, configFile), config)
    await writeFile(
      join(archive, 'manifest.json'),
      JSON.stringify([
        { Config: configFile, RepoTags: ['e2e/docker:v1'], Layers: layers.map(l => l.file) }
      ])
    )
    const tarball = join(work, 'docker-save.tar')
    await runTool('tar', [
      '-cf',
      tarball,
      '-C',
      archive,
      'manifest.json',
      configFile,
      ...layers.map(l => dirname(l.file))
    ])

    succeeded(
      await actionOn(registry, 'push', {
        repository: 'e2e/docker',
        tag: 'v1',
        'oci-layout': tarball
      })
    )
    const flags = registryFlags(registry, '')
    const ref = `docker://${registry.host}/e2e/docker:v1`
    const served = await runTool('skopeo', ['inspect', '--config', '--raw', ...flags, ref])
    expect(Buffer.from(served).equals(config)).toBe(true)
    const inspected = JSON.parse(await runTool('skopeo', ['inspect', ...flags, ref])) as {
      Architecture: string
      Os: string
      Layers: string[]
    }
    expect(inspected).toMatchObject({ Architecture: 'amd64', Os: 'linux' })
    expect(inspected.Layers).toHaveLength(2)
    // Each layer, uncompressed, is the tar the config's diff_ids name.
    const manifest = (await manifestAt(registry, 'e2e/docker', 'v1')).json()
    for (const [i, layer] of manifest.layers.entries()) {
      const blob = await blobAt(registry, 'e2e/docker', layer.digest)
      const tar = /gzip/.test(layer.mediaType) ? gunzipSync(blob) : blob
      expect(sha256(tar)).toBe(layers[i]?.diffId)
    }
  })
})

describe('set-manifest', () => {
  const repository = 'e2e/manifests'
  let oci: Manifest
  let ociSize: number
  let docker: Manifest
  let ociDigest: string

  beforeAll(async () => {
    const layout = join(work, 'set-manifest')
    await buildImage({
      dir: layout,
      tag: 'oci',
      files: { which: `oci ${randomBytes(4).toString('hex')}` }
    })
    await buildImage({
      dir: layout,
      tag: 'docker',
      files: { which: `docker ${randomBytes(4).toString('hex')}` }
    })
    ociDigest = await pushImage(registry, `${layout}:oci`, `${repository}:oci-base`)
    await pushImage(registry, `${layout}:docker`, `${repository}:docker-base`, { format: 'v2s2' })
    const served = await manifestAt(registry, repository, 'oci-base')
    oci = served.json()
    ociSize = served.bytes.length
    docker = (await manifestAt(registry, repository, 'docker-base')).json()
    expect(docker.mediaType).toBe(DOCKER_MANIFEST)
  })

  // Spacing of our own, so the file's bytes are nobody else's: the registry must keep them.
  async function setManifest(name: string, tag: string, manifest: object) {
    const bytes = Buffer.from(`${JSON.stringify(manifest, null, 3)}\n`)
    const file = join(work, `${name}.json`)
    await writeFile(file, bytes)
    const run = await actionOn(registry, 'set-manifest', { repository, tag, manifest: file })
    return { run, bytes }
  }

  it.each([
    [
      'an OCI manifest',
      'oci',
      OCI_MANIFEST,
      () => ({ ...oci, annotations: { 'org.example.note': 'set' } })
    ],
    ['a Docker v2 manifest', 'docker', DOCKER_MANIFEST, () => docker],
    [
      'an OCI index',
      'index',
      OCI_INDEX,
      () => ({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: ociDigest,
            size: ociSize,
            platform: { architecture: 'amd64', os: 'linux' }
          }
        ]
      })
    ]
  ])('puts %s with its exact bytes and content type', async (_what, tag, mediaType, build) => {
    const { run, bytes } = await setManifest(`manifest-${tag}`, tag, build())
    const result = succeeded(run)
    const digest = sha256(bytes)
    expect(run.outputs.digest).toBe(digest)
    expect(run.outputs.reference).toBe(`${registry.host}/${repository}@${digest}`)
    expect(run.outputs.tags).toBe(tag)
    expect(result).toEqual({
      operation: 'set-manifest',
      digest,
      reference: run.outputs.reference,
      mediaType,
      size: bytes.length,
      tags: [tag]
    })
    const served = await manifestAt(registry, repository, tag)
    expect(served.bytes.equals(bytes)).toBe(true)
    expect(served.contentType).toBe(mediaType)
  })

  it('fails naming the missing blob when the manifest refers to one the repository lacks', async () => {
    const missing = sha256(randomBytes(32))
    const { run } = await setManifest('manifest-broken', 'broken', {
      ...oci,
      layers: [...oci.layers, { mediaType: FOLDER_LAYER, digest: missing, size: 32 }]
    })
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain(missing)
    expect((await manifestAt(registry, repository, 'broken')).status).toBe(404)
  })
})

describe('push with subject on a registry without the referrers API', () => {
  it('creates, then extends, the sha256-<hex> tag index that lists the referrers', async () => {
    const repository = 'e2e/subject'
    const layout = join(work, 'subject-image')
    await buildImage({ dir: layout, files: { app: randomBytes(8).toString('hex') } })
    const subject = await pushImage(registry, `${layout}:latest`, `${repository}:v1`)
    const fallbackTag = subject.replace(':', '-')
    const referrersApi = await simpleRequest(
      `${registry.url}/v2/${repository}/referrers/${subject}`
    )
    expect(referrersApi.status).toBe(404)

    const content = await tree('subject-files', {
      'sbom.json': JSON.stringify({ salt: randomBytes(8).toString('hex') }),
      'sig.txt': randomBytes(8).toString('hex')
    })
    const attach = async (file: string, artifactType: string) => {
      const run = await actionOn(registry, 'push', {
        repository,
        path: content,
        files: file,
        'artifact-type': artifactType,
        subject
      })
      const digest = succeeded(run).digest
      const manifest = (await manifestAt(registry, repository, digest)).json()
      expect(manifest.subject).toMatchObject({ digest: subject, mediaType: OCI_MANIFEST })
      expect(manifest.artifactType).toBe(artifactType)
      return digest
    }
    const listed = async () => {
      const served = await manifestAt(registry, repository, fallbackTag)
      expect(served.status).toBe(200)
      const index = served.json()
      expect(index.mediaType).toBe(OCI_INDEX)
      return index.manifests ?? []
    }

    const sbom = await attach('sbom.json', 'application/vnd.example.sbom.v1+json')
    expect(await listed()).toEqual([
      expect.objectContaining({
        mediaType: OCI_MANIFEST,
        digest: sbom,
        artifactType: 'application/vnd.example.sbom.v1+json'
      })
    ])
    const signature = await attach('sig.txt', 'application/vnd.example.signature.v1')
    const both = await listed()
    expect(both.map(entry => entry.digest).sort()).toEqual([sbom, signature].sort())
    expect(both).toContainEqual(
      expect.objectContaining({
        digest: signature,
        artifactType: 'application/vnd.example.signature.v1'
      })
    )
    expect((await skopeoInspect(registry, `${repository}:v1`)).digest).toBe(subject)
  })
})

describe('push to ACR signed in with OIDC', () => {
  let azure: Azure

  beforeAll(async () => {
    azure = await startAzure()
  }, 60_000)

  afterAll(async () => {
    await azure.stop()
  })

  afterEach(() => azure.acr.faults.clear())

  function pushToAcr(inputs: Record<string, string>): Promise<ActionRun> {
    return runActionOnAzure(azure, { operation: 'push', ...inputs }, {}, SLOW)
  }

  it('pushes, and a locked tag refuses a new push with a hint to unlock, changing nothing', async () => {
    const repository = 'acr/locked'
    const first = await tree('acr-first', { 'app.txt': randomBytes(16).toString('hex') })
    const second = await tree('acr-second', { 'app.txt': randomBytes(16).toString('hex') })
    const pushed = await pushToAcr({ repository, tag: 'stable', path: first, files: 'app.txt' })
    const digest = succeeded(pushed).digest
    expect(pushed.outputs.reference).toBe(`${azure.acr.host}/${repository}@${digest}`)
    expect((await skopeoInspect(azure.registry, `${repository}:stable`)).digest).toBe(digest)
    for (const secret of azure.secrets()) expect(pushed.visible).not.toContain(secret)

    // What the refused push would have made, pushed where no lock stands in the way.
    const probe = succeeded(
      await pushToAcr({ repository: 'acr/probe', path: second, files: 'app.txt' })
    )
    await azure.acr.setAttributes({ repository, tag: 'stable' }, { writeEnabled: false })
    const refused = await pushToAcr({ repository, tag: 'stable', path: second, files: 'app.txt' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors).toHaveLength(1)
    expect(refused.errors[0]).toContain('unlock')
    expect(refused.errors[0]).toContain('stable')
    expect((await skopeoInspect(azure.registry, `${repository}:stable`)).digest).toBe(digest)
    expect((await manifestAt(azure.registry, repository, probe.digest)).status).toBe(404)
  })

  describe('under injected faults', () => {
    let content: string
    let clean: PushResult
    const files = Array.from({ length: 5 }, (_, i) => `file-${i}.bin`)
    const inputs = () => ({ path: content, files: [...files, 'assets'].join('\n'), tag: 'v1' })

    beforeAll(async () => {
      content = await tree('faulty', {
        ...Object.fromEntries(
          files.map((name, i) => [name, randomBytes((1 + i / 2) * 1024 * 1024)])
        ),
        'assets/a.txt': randomBytes(32).toString('hex'),
        'assets/deep/b.bin': randomBytes(200 * 1024)
      })
      clean = succeeded(await pushToAcr({ repository: 'faults/clean', ...inputs() }))
    }, SLOW)

    const v2 = /^\/v2\//
    const uploads = /\/blobs\/uploads\//
    interface Phase {
      name: string
      repository: string
      seed: number
      rates: RateFault[]
      /** Hit at least once whatever the seed draws, so each kind is always exercised. */
      scripted: Fault[]
    }
    const phases: Phase[] = [
      {
        name: '30% 429 with Retry-After',
        repository: 'faults/throttled',
        seed: 7,
        rates: [{ rate: 0.3, status: 429, headers: { 'retry-after': '1' }, path: v2 }],
        scripted: [
          { method: 'PUT', path: /\/manifests\//, status: 429, headers: { 'retry-after': '1' } }
        ]
      },
      {
        name: '10% 500 and 503',
        repository: 'faults/failing',
        seed: 8,
        rates: [
          { rate: 0.05, status: 500, path: v2 },
          { rate: 0.05, status: 503, path: v2 }
        ],
        scripted: [
          { method: 'PUT', path: uploads, status: 500 },
          { method: 'HEAD', path: v2, status: 503 }
        ]
      },
      {
        name: '10% connection resets, on arrival and in upload bodies',
        repository: 'faults/dropped',
        seed: 9,
        rates: [
          { rate: 0.05, status: 'reset', path: v2 },
          { rate: 0.05, status: 'reset-in-body', method: ['PATCH', 'PUT'], path: v2 }
        ],
        scripted: [
          { method: 'PUT', path: uploads, status: 'reset-in-body' },
          { method: 'HEAD', path: v2, status: 'reset' }
        ]
      }
    ]
    // Even one request at a time, the config blob and the layers race, so what the seed hits
    // moves between runs: at most two faults in a row for one request keep the storm within
    // what the retries outlast.
    it.each(phases.map(phase => [phase.name, phase] as const))(
      'ends with exactly the right content despite %s',
      async (_name, phase) => {
        azure.acr.faults.injectRates(phase.seed, phase.rates, { inARow: 2 })
        for (const fault of phase.scripted) azure.acr.faults.inject(fault)
        const run = await pushToAcr({ repository: phase.repository, concurrency: '1', ...inputs() })
        const { injected } = azure.acr.faults.counts()
        azure.acr.faults.clear()
        expect(succeeded(run).digest).toBe(clean.digest)
        for (const fault of [...phase.rates, ...phase.scripted]) {
          expect(injected[String(fault.status)]).toBeGreaterThan(0)
        }

        const manifest = (await manifestAt(azure.registry, phase.repository, 'v1')).json()
        for (const blob of [manifest.config, ...manifest.layers]) {
          const bytes = await blobAt(azure.registry, phase.repository, blob.digest)
          expect(sha256(bytes)).toBe(blob.digest)
          const title = blob.annotations?.[TITLE]
          if (title && files.includes(title)) {
            expect(bytes.equals(await readFile(join(content, title)))).toBe(true)
          }
        }
      },
      SLOW
    )
  })
})
