// pull through the bundled action, checked by clients that share no code
// with it: what push (or skopeo and umoci) put in the registry must come back
// byte for byte, skopeo must read the layouts pull writes, and nothing that
// fails verification may land in `path` or in the tool cache. The ACR
// emulator, signed in with OIDC, serves blobs from its storage redirect and
// throws faults and dropped connections at the download.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { runActionOnAzure } from '../../test/action/on-azure.js'
import { runAction, type ActionRun } from '../../test/action/run-action.js'
import { startAzure, type Azure } from '../../test/emulators/azure.js'
import type { Fault, RateFault } from '../../test/emulators/acr/faults.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { pushManifest } from '../../test/rig/craft-artifact.js'
import { startCuttingProxy } from '../../test/rig/cutting-proxy.js'
import { run as runTool } from '../../test/rig/exec.js'
import { simpleRequest } from '../../test/rig/http.js'
import {
  buildImage,
  pushImage,
  pushIndex,
  registryFlags,
  skopeoInspect
} from '../../test/rig/images.js'
import { OCI_INDEX, OCI_MANIFEST } from '../../test/rig/layout.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'
import { hashFile, portableView, snapshotTree } from '../../test/rig/tree-snapshot.js'

const REF_NAME = 'org.opencontainers.image.ref.name'
const SLOW = 300_000

interface PulledLayer {
  title: string
  kind: 'file' | 'folder'
  digest: string
  size: number
  source: 'cache' | 'registry'
}

interface PullResult {
  operation: string
  digest: string
  reference: string
  mediaType: string
  path: string
  totalSize: number
  files: string[]
  format: 'files' | 'oci-layout'
  layers?: PulledLayer[]
  platformDigest?: string
  manifests?: string[]
}

interface PushResult {
  digest: string
  size: number
  layers?: Array<{ title?: string; digest: string; size: number }>
}

let registry: Registry
let work: string

beforeAll(async () => {
  registry = await startRegistry()
  work = await makeTempDir('e2e-pull')
})

afterAll(async () => {
  await registry.stop()
  await removeTempDir(work)
})

const sha256 = (bytes: Buffer | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

function actionOn(
  target: Registry,
  operation: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction({ operation, registry: target.url, ...inputs }, env, SLOW)
}

function succeeded<T = PullResult>(run: ActionRun): T {
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  return JSON.parse(run.outputs.result ?? '{}') as T
}

/** Asserts the run failed with exactly one `::error::` line and returns it. */
function failedOnce(run: ActionRun): string {
  expect(run.exitCode).toBe(1)
  expect(run.errors).toHaveLength(1)
  return run.errors[0] ?? ''
}

/** A fresh folder with `files` (path → content), executables and symlinks (path → target). */
async function tree(
  name: string,
  files: Record<string, string | Buffer>,
  options: { executables?: string[]; links?: Record<string, string>; folders?: string[] } = {}
): Promise<string> {
  const root = join(work, name)
  await mkdir(root, { recursive: true })
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
  for (const path of options.executables ?? []) await chmod(join(root, path), 0o755)
  for (const [path, target] of Object.entries(options.links ?? {})) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await symlink(target, join(root, path))
  }
  for (const path of options.folders ?? []) await mkdir(join(root, path), { recursive: true })
  return root
}

/** Files and links of a tree, the way pull's `files` output lists them. */
async function writtenPaths(root: string): Promise<string[]> {
  const snapshot = await snapshotTree(root)
  return Object.keys(snapshot)
    .filter(path => snapshot[path]?.kind !== 'folder')
    .sort()
}

/** Every regular file under `root`, relative paths; [] when `root` does not exist. */
async function filesUnder(root: string): Promise<string[]> {
  if (!existsSync(root)) return []
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter(entry => entry.isFile())
    .map(entry => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort()
}

/** The file the registry keeps a blob or manifest in (test/rig/registry.ts's storage root). */
function storedBlob(target: Registry, digest: string): string {
  const hex = digest.slice('sha256:'.length)
  return join(
    target.dir,
    'storage',
    'docker',
    'registry',
    'v2',
    'blobs',
    'sha256',
    hex.slice(0, 2),
    hex,
    'data'
  )
}

async function manifestBytes(target: Registry, repository: string, reference: string) {
  const response = await simpleRequest(`${target.url}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: [OCI_MANIFEST, OCI_INDEX].join(', ') }
  })
  expect(response.status).toBe(200)
  return response.bytes
}

const layoutBlob = (layout: string, digest: string): Promise<Buffer> =>
  readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)))

/** The descriptors a layout's index.json lists. */
async function layoutIndex(layout: string) {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; mediaType: string; annotations?: Record<string, string> }>
  }
  return index.manifests
}

/** Every blob of a layout is named by its own digest. */
async function expectVerifiedBlobs(layout: string): Promise<string[]> {
  const names = await readdir(join(layout, 'blobs', 'sha256'))
  for (const hex of names) {
    expect(await hashFile(join(layout, 'blobs', 'sha256', hex))).toBe(`sha256:${hex}`)
  }
  return names.map(hex => `sha256:${hex}`).sort()
}

describe('pull: files and folders pushed by push', () => {
  let content: string
  let pushed: PushResult
  const repository = 'e2e/round-trip'

  beforeAll(async () => {
    const salt = randomBytes(8).toString('hex')
    content = await tree(
      'round-trip',
      {
        'readme.txt': `read me ${salt}\n`,
        'big.bin': randomBytes(5 * 1024 * 1024),
        'docs/guide.md': `# guide ${salt}\n`,
        'site/index.html': `<p>${salt}</p>\n`,
        'site/bin/run.sh': `#!/bin/sh\necho ${salt}\n`,
        'site/a/b/c/deep.txt': `deep ${salt}\n`
      },
      {
        executables: ['site/bin/run.sh'],
        links: { 'site/current': 'bin/run.sh', 'site/a/up': '../index.html' },
        folders: ['site/empty']
      }
    )
    pushed = succeeded<PushResult>(
      await actionOn(registry, 'push', {
        repository,
        tag: 'v1',
        path: content,
        files: 'readme.txt\nbig.bin\ndocs/guide.md\nsite'
      })
    )
  }, SLOW)

  it.each([
    ['tag', () => ({ tag: 'v1' })],
    ['digest', () => ({ digest: pushed.digest })]
  ])('brings everything back byte for byte by %s', async (by, target) => {
    const path = join(work, `round-trip-by-${by}`, 'not', 'there', 'yet')
    const run = await actionOn(registry, 'pull', { repository, path, ...target() })
    const result = succeeded(run)

    expect(portableView(await snapshotTree(path))).toEqual(
      portableView(await snapshotTree(content))
    )
    const expected = await writtenPaths(content)
    expect(JSON.parse(run.outputs.files ?? '[]')).toEqual(expected)
    expect(result.files).toEqual(expected)
    expect(run.outputs.digest).toBe(pushed.digest)
    expect(run.outputs.reference).toBe(`${registry.host}/${repository}@${pushed.digest}`)
    expect(result).toMatchObject({
      operation: 'pull',
      digest: pushed.digest,
      reference: run.outputs.reference,
      mediaType: OCI_MANIFEST,
      path,
      format: 'files'
    })
    const layers = [...(result.layers ?? [])].sort((a, b) => a.title.localeCompare(b.title))
    expect(layers.map(({ title, kind, source }) => ({ title, kind, source }))).toEqual([
      { title: 'big.bin', kind: 'file', source: 'registry' },
      { title: 'docs/guide.md', kind: 'file', source: 'registry' },
      { title: 'readme.txt', kind: 'file', source: 'registry' },
      { title: 'site', kind: 'folder', source: 'registry' }
    ])
    for (const layer of layers) {
      expect(pushed.layers).toContainEqual(
        expect.objectContaining({ title: layer.title, digest: layer.digest, size: layer.size })
      )
    }
    expect(result.totalSize).toBe(layers.reduce((sum, layer) => sum + layer.size, 0))
    for (const shown of [pushed.digest, 'big.bin', 'site/bin/run.sh', 'MB/s', 'registry']) {
      expect(run.summary).toContain(shown)
    }
  })
})

describe('pull: images as OCI layouts', () => {
  it('writes a layout skopeo reads and copies, with the tag as ref name', async () => {
    const source = join(work, 'layout-source')
    await buildImage({ dir: source, files: { 'etc/motd': `hi ${randomBytes(4).toString('hex')}` } })
    const digest = await pushImage(registry, `${source}:latest`, 'e2e/layout:v1')
    const path = join(work, 'layout-pulled')
    const run = await actionOn(registry, 'pull', {
      repository: 'e2e/layout',
      tag: 'v1',
      path,
      format: 'oci-layout'
    })
    const result = succeeded(run)
    expect(run.outputs.digest).toBe(digest)
    expect(result).toMatchObject({ format: 'oci-layout', digest, manifests: [digest] })

    const raw = await runTool('skopeo', ['inspect', '--raw', `oci:${path}:v1`])
    expect(sha256(raw)).toBe((await skopeoInspect(registry, 'e2e/layout:v1')).digest)
    expect(sha256(raw)).toBe(digest)
    expect(await layoutIndex(path)).toContainEqual(
      expect.objectContaining({ digest, annotations: { [REF_NAME]: 'v1' } })
    )
    const blobs = await expectVerifiedBlobs(path)
    expect(result.files).toEqual(
      [...blobs.map(d => `blobs/sha256/${d.slice(7)}`), 'index.json', 'oci-layout'].sort()
    )

    await runTool('skopeo', [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--preserve-digests',
      ...registryFlags(registry, 'dest-'),
      `oci:${path}:v1`,
      `docker://${registry.host}/e2e/layout-copy:v1`
    ])
    expect((await skopeoInspect(registry, 'e2e/layout-copy:v1')).digest).toBe(digest)
  })

  describe('a two-platform index', () => {
    const repository = 'e2e/layout-index'
    let index: Awaited<ReturnType<typeof pushIndex>>

    beforeAll(async () => {
      index = await pushIndex(registry, `${repository}:multi`, [
        { os: 'linux', arch: 'amd64' },
        { os: 'linux', arch: 'arm64' }
      ])
    }, SLOW)

    it('keeps the exact index bytes and both children', async () => {
      const path = join(work, 'layout-index-all')
      const run = await actionOn(registry, 'pull', {
        repository,
        tag: 'multi',
        path,
        format: 'oci-layout'
      })
      const result = succeeded(run)
      expect(run.outputs.digest).toBe(index.digest)
      const served = await manifestBytes(registry, repository, 'multi')
      expect((await layoutBlob(path, index.digest)).equals(served)).toBe(true)
      const blobs = await expectVerifiedBlobs(path)
      expect([...(result.manifests ?? [])].sort()).toEqual(
        [index.digest, ...index.children.map(c => c.digest)].sort()
      )
      for (const child of index.children) {
        const bytes = await layoutBlob(path, child.digest)
        expect(bytes.equals(await manifestBytes(registry, repository, child.digest))).toBe(true)
        const manifest = JSON.parse(String(bytes)) as {
          config: { digest: string }
          layers: Array<{ digest: string }>
        }
        for (const blob of [manifest.config, ...manifest.layers]) {
          expect(blobs).toContain(blob.digest)
        }
      }
      expect(await layoutIndex(path)).toEqual([
        expect.objectContaining({ digest: index.digest, annotations: { [REF_NAME]: 'multi' } })
      ])
      const raw = await runTool('skopeo', ['inspect', '--raw', `oci:${path}:multi`])
      expect(sha256(raw)).toBe(index.digest)
    })

    it('takes only the linux/arm64 image when the platform is given', async () => {
      const path = join(work, 'layout-index-arm64')
      const arm64 = index.children.find(child => child.arch === 'arm64')?.digest ?? ''
      const amd64 = index.children.find(child => child.arch === 'amd64')?.digest ?? ''
      const run = await actionOn(registry, 'pull', {
        repository,
        tag: 'multi',
        path,
        format: 'oci-layout',
        platform: 'linux/arm64'
      })
      const result = succeeded(run)
      expect(result.manifests).toEqual([arm64])
      expect(await layoutIndex(path)).toEqual([
        expect.objectContaining({ digest: arm64, annotations: { [REF_NAME]: 'multi' } })
      ])
      const blobs = await expectVerifiedBlobs(path)
      expect(blobs).toContain(arm64)
      expect(blobs).not.toContain(amd64)
      expect(blobs).not.toContain(index.digest)
      const raw = await runTool('skopeo', ['inspect', '--raw', `oci:${path}:multi`])
      expect(sha256(raw)).toBe(arm64)
    })
  })
})

describe('pull: a multi-platform artifact as files', () => {
  const repository = 'e2e/files-index'
  const platforms = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
    { os: 'linux', architecture: 'arm', variant: 'v7' }
  ]
  const children: Array<{ platform: string; digest: string; content: string }> = []
  let indexDigest: string

  beforeAll(async () => {
    const descriptors = []
    for (const platform of platforms) {
      const name = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/')
      const content = `${name} ${randomBytes(8).toString('hex')}\n`
      const folder = await tree(`files-index-${name.replace(/\//g, '-')}`, { 'arch.txt': content })
      const pushed = succeeded<PushResult>(
        await actionOn(registry, 'push', { repository, path: folder, files: 'arch.txt' })
      )
      children.push({ platform: name, digest: pushed.digest, content })
      descriptors.push({
        mediaType: OCI_MANIFEST,
        digest: pushed.digest,
        size: pushed.size,
        platform
      })
    }
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: descriptors })
    )
    indexDigest = await pushManifest(registry, repository, 'multi', index, OCI_INDEX)
    expect(indexDigest).toBe(sha256(index))
  }, SLOW)

  it.each([
    ['no platform (linux/amd64)', undefined, 'linux/amd64'],
    ['linux/arm64', 'linux/arm64', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7', 'linux/arm/v7']
  ])('takes the right child for %s', async (_name, platform, expected) => {
    const child = children.find(c => c.platform === expected)
    const path = join(work, `files-index-pull-${expected.replace(/\//g, '-')}`)
    const run = await actionOn(registry, 'pull', {
      repository,
      tag: 'multi',
      path,
      ...(platform ? { platform } : {})
    })
    const result = succeeded(run)
    expect(result.digest).toBe(indexDigest)
    expect(result.platformDigest).toBe(child?.digest)
    expect(await readFile(join(path, 'arch.txt'), 'utf8')).toBe(child?.content)
    expect(await filesUnder(path)).toEqual(['arch.txt'])
  })

  it('fails for a platform the index lacks, listing the ones it has', async () => {
    const path = join(work, 'files-index-missing')
    const run = await actionOn(registry, 'pull', {
      repository,
      tag: 'multi',
      path,
      platform: 'windows/amd64'
    })
    const error = failedOnce(run)
    for (const name of ['windows/amd64', ...children.map(c => c.platform)]) {
      expect(error).toContain(name)
    }
    expect(await filesUnder(path)).toEqual([])
  })
})

describe('pull: integrity', () => {
  it('fails on a blob tampered with in storage, leaving nothing in path or the cache', async () => {
    const repository = 'e2e/tampered-blob'
    const folder = await tree('tampered-blob', { 'payload.bin': randomBytes(256 * 1024) })
    const pushed = succeeded<PushResult>(
      await actionOn(registry, 'push', {
        repository,
        tag: 'v1',
        path: folder,
        files: 'payload.bin'
      })
    )
    const layer = pushed.layers?.[0]?.digest ?? ''
    const stored = storedBlob(registry, layer)
    const size = (await readFile(stored)).length
    await writeFile(stored, randomBytes(size))

    const path = join(work, 'tampered-blob-out')
    const cache = join(work, 'tampered-blob-cache')
    const run = await actionOn(
      registry,
      'pull',
      { repository, tag: 'v1', path },
      { RUNNER_TOOL_CACHE: cache }
    )
    const error = failedOnce(run)
    expect(error).toContain(layer)
    expect(error).toMatch(/does not match|mismatch/i)
    expect(await snapshotTree(path)).toEqual({})
    expect(await filesUnder(cache)).toEqual([])
  })

  it('fails on a manifest tampered with in storage, pulled by digest', async () => {
    const repository = 'e2e/tampered-manifest'
    const folder = await tree('tampered-manifest', { 'note.txt': randomBytes(64).toString('hex') })
    const pushed = succeeded<PushResult>(
      await actionOn(registry, 'push', { repository, tag: 'v1', path: folder, files: 'note.txt' })
    )
    const stored = storedBlob(registry, pushed.digest)
    const original = await readFile(stored, 'utf8')
    // Same size, still valid JSON, a different title: only the digest can tell.
    const forged = original.replace('"note.txt"', '"nofe.txt"')
    expect(forged).not.toBe(original)
    await writeFile(stored, forged)

    const path = join(work, 'tampered-manifest-out')
    const cache = join(work, 'tampered-manifest-cache')
    const run = await actionOn(
      registry,
      'pull',
      { repository, digest: pushed.digest, path },
      { RUNNER_TOOL_CACHE: cache }
    )
    const error = failedOnce(run)
    expect(error).toContain(pushed.digest)
    expect(error).toMatch(/does not match|mismatch/i)
    expect(await snapshotTree(path)).toEqual({})
    expect(await filesUnder(cache)).toEqual([])
  })
})

describe('pull: the tool cache', () => {
  const repository = 'e2e/cached'
  let content: string
  let pushed: PushResult
  let cache: string
  const pull = (path: string) =>
    actionOn(
      registry,
      'pull',
      { repository, digest: pushed.digest, path },
      { RUNNER_TOOL_CACHE: cache }
    )

  beforeAll(async () => {
    content = await tree(
      'cached',
      {
        'a.bin': randomBytes(1024 * 1024),
        'b.txt': randomBytes(32).toString('hex'),
        'pkg/one.txt': randomBytes(32).toString('hex'),
        'pkg/lib/two.bin': randomBytes(100 * 1024)
      },
      { executables: ['pkg/one.txt'] }
    )
    cache = join(work, 'tool-cache')
    pushed = succeeded<PushResult>(
      await actionOn(registry, 'push', { repository, path: content, files: 'a.bin\nb.txt\npkg' })
    )
  }, SLOW)

  const blobGets = async (since: number) =>
    (await registry.requests())
      .slice(since)
      .filter(entry => entry.method === 'GET' && entry.path.includes('/blobs/'))

  it('downloads nothing the second time, and refetches a tampered cache entry', async () => {
    const first = succeeded(await pull(join(work, 'cached-1')))
    expect(first.layers?.map(layer => layer.source)).toEqual(['registry', 'registry', 'registry'])

    const before = await registry.requestCount()
    const secondPath = join(work, 'cached-2')
    const secondRun = await pull(secondPath)
    const second = succeeded(secondRun)
    expect(second.layers?.map(layer => layer.source)).toEqual(['cache', 'cache', 'cache'])
    expect(secondRun.summary).toContain('cache')
    expect(await blobGets(before)).toEqual([])
    expect(portableView(await snapshotTree(secondPath))).toEqual(
      portableView(await snapshotTree(content))
    )

    // The cache entry holding a.bin, found by its content, gets other bytes of the same size.
    const original = await readFile(join(content, 'a.bin'))
    const entries = []
    for (const file of await filesUnder(cache)) {
      if ((await hashFile(join(cache, file))) === sha256(original)) entries.push(file)
    }
    expect(entries).toHaveLength(1)
    await writeFile(join(cache, entries[0] ?? ''), randomBytes(original.length))

    const since = await registry.requestCount()
    const thirdPath = join(work, 'cached-3')
    const third = succeeded(await pull(thirdPath))
    const aLayer = third.layers?.find(layer => layer.title === 'a.bin')
    expect(aLayer?.source).toBe('registry')
    expect(third.layers?.filter(layer => layer.source === 'cache')).toHaveLength(2)
    expect((await readFile(join(thirdPath, 'a.bin'))).equals(original)).toBe(true)
    expect((await blobGets(since)).map(entry => entry.path)).toEqual([
      `/v2/${repository}/blobs/${aLayer?.digest}`
    ])
    expect(portableView(await snapshotTree(thirdPath))).toEqual(
      portableView(await snapshotTree(content))
    )
  })
})

describe('pull from ACR signed in with OIDC', () => {
  let azure: Azure

  beforeAll(async () => {
    azure = await startAzure()
  }, 60_000)

  afterAll(async () => {
    await azure.stop()
  })

  afterEach(() => azure.acr.faults.clear())

  function onAcr(
    operation: string,
    inputs: Record<string, string>,
    env: Record<string, string> = {}
  ): Promise<ActionRun> {
    return runActionOnAzure(azure, { operation, ...inputs }, env, SLOW)
  }

  async function pushContent(
    name: string,
    repository: string,
    files: Record<string, string | Buffer>
  ) {
    const folder = await tree(name, files)
    const top = [...new Set(Object.keys(files).map(path => path.split('/')[0] ?? ''))]
    return {
      folder,
      pushed: succeeded<PushResult>(
        await onAcr('push', { repository, tag: 'v1', path: folder, files: top.join('\n') })
      )
    }
  }

  it('downloads blobs from the storage redirect without ever sending Authorization there', async () => {
    const repository = 'acr/pull'
    const { folder, pushed } = await pushContent('acr-pull', repository, {
      'data.bin': randomBytes(1024 * 1024),
      'assets/a.txt': randomBytes(16).toString('hex')
    })
    azure.acr.clearRequests()
    const path = join(work, 'acr-pull-out')
    const run = await onAcr('pull', { repository, tag: 'v1', path })
    expect(succeeded(run).digest).toBe(pushed.digest)
    expect(portableView(await snapshotTree(path))).toEqual(portableView(await snapshotTree(folder)))
    const storage = azure.acr.storageRequests()
    expect(storage.length).toBeGreaterThanOrEqual(2)
    for (const request of storage) expect(request).toMatchObject({ auth: 'none', status: 200 })
    const redirected = azure.acr
      .requests()
      .filter(request => request.method === 'GET' && request.path.includes('/blobs/'))
    expect(redirected.length).toBe(storage.length)
    for (const request of redirected) expect(request.status).toBe(307)
    for (const secret of azure.secrets()) expect(run.visible).not.toContain(secret)
  })

  it('resumes a download cut mid-blob with a Range request', async () => {
    const repository = 'acr/resume'
    const { folder } = await pushContent('acr-resume', repository, {
      'big.bin': randomBytes(8 * 1024 * 1024)
    })
    const proxy = await startCuttingProxy({
      cutHost: new URL(azure.acr.storageUrl).host,
      afterBytes: 3 * 1024 * 1024
    })
    try {
      azure.acr.clearRequests()
      const path = join(work, 'acr-resume-out')
      const run = await onAcr(
        'pull',
        { repository, tag: 'v1', path, concurrency: '1', cache: 'false' },
        { HTTPS_PROXY: proxy.url }
      )
      succeeded(run)
      expect(proxy.cuts()).toBe(1)
      const gets = azure.acr.storageRequests().filter(request => request.method === 'GET')
      expect(gets.map(request => request.status)).toContain(206)
      expect(gets.every(request => request.auth === 'none')).toBe(true)
      expect(await hashFile(join(path, 'big.bin'))).toBe(await hashFile(join(folder, 'big.bin')))
      expect(await filesUnder(path)).toEqual(['big.bin'])
    } finally {
      await proxy.stop()
    }
  })

  it(
    'ends with exactly the right files under 30% 429 with Retry-After and 10% 5xx',
    async () => {
      const repository = 'acr/pull-faults'
      const files = Object.fromEntries(
        Array.from({ length: 16 }, (_, i) => [`file-${i}.bin`, randomBytes((1 + i) * 64 * 1024)])
      )
      const { folder } = await pushContent('acr-pull-faults', repository, {
        ...files,
        'assets/a.txt': randomBytes(32).toString('hex'),
        'assets/deep/b.bin': randomBytes(200 * 1024)
      })
      const v2 = /^\/v2\//
      const rates: RateFault[] = [
        { rate: 0.3, status: 429, headers: { 'retry-after': '1' }, path: v2 },
        { rate: 0.05, status: 500, path: v2 },
        { rate: 0.05, status: 503, path: v2 }
      ]
      // Hit at least once whatever the seed draws, so that each kind is always exercised.
      const scripted: Fault[] = [
        { method: 'GET', path: /\/manifests\//, status: 429, headers: { 'retry-after': '1' } },
        { method: 'GET', path: /\/blobs\//, status: 503 },
        { method: 'GET', path: /\/blobs\//, status: 500 }
      ]
      // What the seed hits can move between runs (retries wait on a random backoff): at most
      // two faults in a row for one request keep the storm within what the retries outlast.
      azure.acr.faults.injectRates(2, rates, { inARow: 2 })
      for (const fault of scripted) azure.acr.faults.inject(fault)
      const path = join(work, 'acr-pull-faults-out')
      const run = await onAcr('pull', { repository, tag: 'v1', path, concurrency: '1' })
      const { injected, drawn } = azure.acr.faults.counts()
      azure.acr.faults.clear()
      const result = succeeded(run)
      for (const status of ['429', '500', '503']) expect(injected[status]).toBeGreaterThan(0)
      // Beyond the scripted three, the rates hit too.
      expect(drawn).toBeGreaterThanOrEqual(20)
      expect(Object.values(injected).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(
        scripted.length
      )
      expect(portableView(await snapshotTree(path))).toEqual(
        portableView(await snapshotTree(folder))
      )
      expect(result.files).toEqual(await writtenPaths(folder))
    },
    SLOW
  )
})
