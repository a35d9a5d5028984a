// The chaos run: the bundled action, signed in to the ACR emulator with OIDC,
// pushes, pulls and prunes while the emulator answers about a fifth of all
// requests (token endpoints included) with a 5xx, a 429 with Retry-After or
// a dropped connection, on arrival or halfway through a request body (see
// test/rig/chaos.ts). Each run must end in exactly the state a fault-free run
// gives, with nothing partial left in the registry, in `path`, beside it, in
// RUNNER_TEMP or in the tool cache. What the registry holds is read with
// skopeo, plain HTTP and from its storage, none of it sharing code with the
// action. Seeds are fixed and logged. Even with one request at a time
// (concurrency: 1) which request draws which number moves between runs (the
// config blob races the layers, a prune plans its next repository while it
// deletes, retries wait a random backoff), so no request gets more than two
// rate faults in a row: only the scripted faults can outlast the retries.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { runActionOnAzure } from '../../test/action/on-azure.js'
import { type ActionRun } from '../../test/action/run-action.js'
import type { Fault, FaultCounts } from '../../test/emulators/acr/faults.js'
import { startAzure, type Azure } from '../../test/emulators/azure.js'
import { AcrReader, oidcSignIn, registryContents } from '../../test/rig/acr-state.js'
import {
  chaosRates,
  describeRun,
  linkedBlobs,
  missingKinds,
  pathsUnder,
  scriptedFaults,
  toolCacheContents
} from '../../test/rig/chaos.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { run as runTool } from '../../test/rig/exec.js'
import { simpleRequest } from '../../test/rig/http.js'
import { buildImage, registryFlags, skopeoInspect } from '../../test/rig/images.js'
import { findDescriptor, OCI_INDEX, OCI_MANIFEST, writeBlob } from '../../test/rig/layout.js'
import { ago, DAY, HOUR, PruneFixture, type Seeded } from '../../test/rig/prune-fixture.js'
import { hashFile, portableView, snapshotTree } from '../../test/rig/tree-snapshot.js'

/**
 * Each scenario runs once per seed of its own (the same seed in two scenarios
 * would hit their first requests alike); a failure names its seed, which replays it.
 */
const SEEDS = {
  push: [1_103, 2_207],
  layout: [3_301, 4_409],
  pull: [5_501, 6_607],
  cache: [7_703, 8_807],
  prune: [9_901, 10_007],
  // A request that fails however often it is sent, among the seed's faults.
  pullGivesUp: [11_003],
  pruneGivesUp: [12_007]
}
const SLOW = 300_000
const TITLE = 'org.opencontainers.image.title'
const REF_NAME = 'org.opencontainers.image.ref.name'
// Above the 16 MiB from which push takes its streamed path (uploadWhileHashing).
const LARGE = 16 * 1024 * 1024 + 123_457
const FILES = 'small.txt\nmedium.bin\nlarge.bin\ntree'
const TITLES = ['large.bin', 'medium.bin', 'small.txt', 'tree']

interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
}

interface Manifest {
  config: Descriptor
  layers: Descriptor[]
  manifests?: Descriptor[]
}

interface Result {
  digest: string
  files?: string[]
  layers?: Array<{ title: string; digest: string; source?: 'cache' | 'registry' }>
  verified?: number
}

let azure: Azure
let work: string
let fixture: PruneFixture
let content: string
let clean: Result
let cleanManifest: Manifest

const sha256 = (bytes: Buffer | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

function onAcr(
  operation: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Promise<ActionRun> {
  return runActionOnAzure(azure, { operation, ...inputs }, env, SLOW)
}

function succeeded(run: ActionRun): Result {
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  return JSON.parse(run.outputs.result ?? '{}') as Result
}

/**
 * Runs `task` under the seed's rates and `scripted` (one fault of each kind,
 * so every kind is met whatever the seed draws), and `never`, a fault for
 * every request to one path, if given; logs what was injected and clears it.
 */
async function underChaos<T>(
  seed: number,
  what: string,
  scripted: Fault[],
  task: () => Promise<T>,
  never?: Fault
): Promise<T> {
  azure.acr.faults.clear()
  azure.acr.clearRequests()
  // Concurrent requests draw in no fixed order: at most two faults in a row for one request,
  // so that only the scripted faults can outlast the retries.
  azure.acr.faults.injectRates(seed, chaosRates(), { inARow: 2 })
  // First, so that no scripted fault takes its requests.
  if (never) azure.acr.faults.inject(never)
  for (const fault of scripted) azure.acr.faults.inject(fault)
  let counts: FaultCounts
  let value: T
  try {
    value = await task()
  } finally {
    counts = azure.acr.faults.counts()
    azure.acr.faults.clear()
    console.info(describeRun(seed, what, counts))
  }
  expect(missingKinds(counts)).toEqual([])
  const neverHits = never
    ? azure.acr.requests().filter(r => r.method === never.method && r.path === never.path).length
    : 0
  const injected = Object.values(counts.injected).reduce((sum, n) => sum + n, 0)
  // Beyond the scripted faults, the seed's rates hit too.
  expect(injected - scripted.length - neverHits).toBeGreaterThan(0)
  return value
}

/** A fresh, empty folder under the test's work folder. */
async function freshFolder(name: string): Promise<string> {
  const folder = join(work, name)
  await mkdir(folder, { recursive: true })
  expect(await readdir(folder)).toEqual([])
  return folder
}

/** Manifests and tags (→ digest) of a repository, read from the registry's storage. */
async function holdings(repository: string) {
  return (await registryContents(azure.registry))[repository] ?? { tags: {}, manifests: [] }
}

async function manifestAt(repository: string, reference: string): Promise<Buffer> {
  const response = await simpleRequest(
    `${azure.registry.url}/v2/${repository}/manifests/${reference}`,
    { headers: { accept: [OCI_MANIFEST, OCI_INDEX].join(', ') } }
  )
  expect(response.status).toBe(200)
  return response.bytes
}

async function blobAt(repository: string, digest: string): Promise<Buffer> {
  const response = await simpleRequest(`${azure.registry.url}/v2/${repository}/blobs/${digest}`, {
    timeoutMs: 60_000
  })
  expect(response.status).toBe(200)
  return response.bytes
}

/** Files of every size, an executable, nested folders, a link and an empty folder. */
async function makeContent(): Promise<string> {
  const root = join(work, 'content')
  const salt = randomBytes(8).toString('hex')
  const files: Record<string, string | Buffer> = {
    'small.txt': `small ${salt}\n`,
    'medium.bin': randomBytes(700 * 1024),
    'large.bin': randomBytes(LARGE),
    'tree/index.html': `<p>${salt}</p>\n`,
    'tree/bin/run.sh': `#!/bin/sh\necho ${salt}\n`,
    'tree/a/b/deep.txt': `deep ${salt}\n`,
    'tree/data.bin': randomBytes(300 * 1024)
  }
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), bytes)
  }
  await chmod(join(root, 'tree/bin/run.sh'), 0o755)
  await symlink('bin/run.sh', join(root, 'tree/current'))
  await mkdir(join(root, 'tree/empty'))
  return root
}

beforeAll(async () => {
  azure = await startAzure()
  work = await makeTempDir('e2e-chaos')
  fixture = new PruneFixture(azure.acr)
  content = await makeContent()
  // What a push of the same content gives without a single fault.
  clean = succeeded(
    await onAcr('push', { repository: 'chaos/clean', tag: 'one\ntwo', path: content, files: FILES })
  )
  cleanManifest = JSON.parse(String(await manifestAt('chaos/clean', clean.digest))) as Manifest
}, SLOW)

afterAll(async () => {
  await azure?.stop()
  await removeTempDir(work)
})

afterEach(() => azure.acr.faults.clear())

const uploads = /\/blobs\/uploads\//
const blobs = /^\/v2\/.*\/blobs\/sha256:/
const manifests = /^\/v2\/.*\/manifests\//
const metadata = /^\/acr\/v1\//

const PUSH_FAULTS = scriptedFaults({
  500: { method: 'POST', path: uploads },
  502: { method: 'PUT', path: manifests },
  503: { method: 'GET', path: metadata },
  429: { method: 'PUT', path: manifests },
  reset: { method: 'HEAD', path: blobs },
  'reset-in-body': { method: 'PUT', path: uploads }
})

const PULL_FAULTS = scriptedFaults({
  500: { method: 'GET', path: blobs },
  502: { method: 'GET', path: manifests },
  503: { method: 'GET', path: blobs },
  429: { method: 'GET', path: manifests },
  reset: { method: 'GET', path: blobs },
  'reset-in-body': { method: 'POST', path: '/oauth2/token' }
})

const PRUNE_FAULTS = scriptedFaults({
  500: { method: 'GET', path: metadata },
  502: { method: 'GET', path: manifests },
  503: { method: 'DELETE', path: manifests },
  429: { method: 'GET', path: metadata },
  reset: { method: 'DELETE', path: manifests },
  'reset-in-body': { method: 'POST', path: '/oauth2/token' }
})

describe('push of files and a folder under chaos', () => {
  it.each(SEEDS.push)(
    'seed %i: both tags on exactly the fault-free manifest, every layer whole, nothing else linked',
    async seed => {
      const repository = `chaos/push-${seed}`
      const temp = await freshFolder(`push-temp-${seed}`)
      const run = await underChaos(seed, 'push files', PUSH_FAULTS, () =>
        onAcr(
          'push',
          { repository, tag: 'one\ntwo', path: content, files: FILES, concurrency: '1' },
          { RUNNER_TEMP: temp }
        )
      )
      const digest = succeeded(run).digest
      expect(digest).toBe(clean.digest)
      expect(await holdings(repository)).toEqual({
        tags: { one: digest, two: digest },
        manifests: [digest]
      })
      for (const tag of ['one', 'two']) {
        expect(sha256(await manifestAt(repository, tag))).toBe(digest)
        expect((await skopeoInspect(azure.registry, `${repository}:${tag}`)).digest).toBe(digest)
      }

      const manifest = JSON.parse(String(await manifestAt(repository, digest))) as Manifest
      expect(manifest.layers.map(layer => layer.annotations?.[TITLE]).sort()).toEqual(TITLES)
      for (const layer of manifest.layers) {
        const title = layer.annotations?.[TITLE] ?? ''
        if (title === 'tree') {
          // Reproducible: the folder packs to the fault-free push's layer.
          const cleanLayer = cleanManifest.layers.find(l => l.annotations?.[TITLE] === 'tree')
          expect(layer).toEqual(cleanLayer)
        } else {
          expect(layer.digest).toBe(await hashFile(join(content, title)))
          expect(layer.size).toBe((await stat(join(content, title))).size)
        }
      }
      const referenced = [manifest.config, ...manifest.layers]
      for (const blob of referenced) {
        expect(sha256(await blobAt(repository, blob.digest))).toBe(blob.digest)
      }
      expect(await linkedBlobs(azure.registry, repository)).toEqual(
        referenced.map(blob => blob.digest).sort()
      )
      // Packed folders and partial uploads went with the run.
      expect(await pathsUnder(temp)).toEqual([])
    },
    SLOW
  )
})

describe('push of an OCI layout under chaos', () => {
  let layout: string
  let index: Descriptor
  const children: Descriptor[] = []
  const layoutBlob = (root: string, digest: string): Promise<Buffer> =>
    readFile(join(root, 'blobs', 'sha256', digest.slice('sha256:'.length)))

  beforeAll(async () => {
    layout = join(work, 'layout')
    for (const architecture of ['amd64', 'arm64']) {
      const files = {
        'etc/motd': `${architecture} ${randomBytes(8).toString('hex')}\n`,
        'opt/data.txt': randomBytes(200 * 1024).toString('base64')
      }
      const ref = await buildImage({ dir: layout, tag: architecture, arch: architecture, files })
      children.push({ ...(await findDescriptor(ref)) })
    }
    const bytes = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map((child, i) => ({
        ...child,
        platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' }
      }))
    })
    index = await writeBlob(layout, OCI_INDEX, bytes)
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ ...index, annotations: { [REF_NAME]: 'multi' } }]
      })
    )
  }, SLOW)

  it.each(SEEDS.layout)(
    'seed %i: skopeo copies back the index, both images and every blob, byte for byte',
    async seed => {
      const repository = `chaos/layout-${seed}`
      const run = await underChaos(seed, 'push oci-layout', PUSH_FAULTS, () =>
        onAcr('push', { repository, tag: 'multi', 'oci-layout': layout, concurrency: '1' })
      )
      expect(succeeded(run).digest).toBe(index.digest)
      expect(await holdings(repository)).toEqual({
        tags: { multi: index.digest },
        manifests: [index, ...children].map(m => m.digest).sort()
      })
      expect((await skopeoInspect(azure.registry, `${repository}:multi`)).digest).toBe(index.digest)

      const copy = join(work, `layout-copy-${seed}`)
      await runTool('skopeo', [
        '--insecure-policy',
        'copy',
        '--quiet',
        '--all',
        '--preserve-digests',
        ...registryFlags(azure.registry, 'src-'),
        `docker://${azure.registry.host}/${repository}:multi`,
        `oci:${copy}:out`
      ])
      expect((await findDescriptor(`${copy}:out`)).digest).toBe(index.digest)
      const referenced: string[] = []
      for (const child of children) {
        const bytes = await layoutBlob(layout, child.digest)
        const manifest = JSON.parse(String(bytes)) as Manifest
        referenced.push(manifest.config.digest, ...manifest.layers.map(l => l.digest))
        for (const digest of [
          child.digest,
          manifest.config.digest,
          ...manifest.layers.map(l => l.digest)
        ]) {
          expect((await layoutBlob(copy, digest)).equals(await layoutBlob(layout, digest))).toBe(
            true
          )
        }
      }
      expect(
        (await layoutBlob(copy, index.digest)).equals(await layoutBlob(layout, index.digest))
      ).toBe(true)
      expect(await linkedBlobs(azure.registry, repository)).toEqual([...new Set(referenced)].sort())
    },
    SLOW
  )
})

describe('pull under chaos', () => {
  /** Pulls the fault-free push into a fresh folder under chaos and checks what landed, and where. */
  async function pullUnderChaos(seed: number, name: string, cache: boolean, toolCache: string) {
    const parent = await freshFolder(`pull-${name}-${seed}`)
    const temp = await freshFolder(`pull-${name}-temp-${seed}`)
    const path = join(parent, 'out')
    const run = await underChaos(seed, `pull (${name})`, PULL_FAULTS, () =>
      onAcr(
        'pull',
        { repository: 'chaos/clean', tag: 'two', path, cache: String(cache), concurrency: '1' },
        { RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: temp }
      )
    )
    const result = succeeded(run)
    expect(result.digest).toBe(clean.digest)
    await expectPulledTree(path, parent, temp, result)
    return result
  }

  /** `path` holds exactly the pushed tree, and nothing was left beside it or in RUNNER_TEMP. */
  async function expectPulledTree(path: string, parent: string, temp: string, result: Result) {
    expect(portableView(await snapshotTree(path))).toEqual(
      portableView(await snapshotTree(content))
    )
    expect(await pathsUnder(path)).toEqual(await pathsUnder(content))
    expect(await readdir(parent)).toEqual(['out'])
    expect(await pathsUnder(temp)).toEqual([])
    const snapshot = await snapshotTree(content)
    expect(result.files).toEqual(
      Object.keys(snapshot)
        .filter(p => snapshot[p]?.kind !== 'folder')
        .sort()
    )
  }

  it.each(SEEDS.pull)(
    'seed %i, cache: false: the exact tree, no partial file, nothing in the tool cache',
    async seed => {
      const toolCache = join(work, `tool-cache-off-${seed}`)
      const result = await pullUnderChaos(seed, 'no cache', false, toolCache)
      expect(result.layers?.every(layer => layer.source === 'registry')).toBe(true)
      expect(await pathsUnder(toolCache)).toEqual([])
    },
    SLOW
  )

  it.each(SEEDS.cache)(
    'seed %i, cache: true: the exact tree, and a tool cache of verified entries only, which a later pull uses',
    async seed => {
      const toolCache = join(work, `tool-cache-on-${seed}`)
      const result = await pullUnderChaos(seed, 'cache', true, toolCache)
      const layerDigests = cleanManifest.layers.map(layer => layer.digest).sort()
      expect(result.layers?.map(layer => layer.digest).sort()).toEqual(layerDigests)
      expect(await toolCacheContents(toolCache)).toEqual({ verified: layerDigests, stray: [] })

      // What was cached is whole: a fault-free pull takes every layer from it.
      const parent = await freshFolder(`pull-cached-${seed}`)
      const temp = await freshFolder(`pull-cached-temp-${seed}`)
      const path = join(parent, 'out')
      const again = succeeded(
        await onAcr(
          'pull',
          { repository: 'chaos/clean', digest: clean.digest, path },
          { RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: temp }
        )
      )
      expect(again.layers?.map(layer => layer.source)).toEqual(TITLES.map(() => 'cache'))
      await expectPulledTree(path, parent, temp, again)
    },
    SLOW
  )

  it.each(SEEDS.pullGivesUp)(
    'seed %i: a blob never served fails the step, leaving only whole files and verified cache entries',
    async seed => {
      const folder = cleanManifest.layers.find(layer => layer.annotations?.[TITLE] === 'tree')
      const digest = folder?.digest ?? ''
      const parent = await freshFolder(`pull-gives-up-${seed}`)
      const temp = await freshFolder(`pull-gives-up-temp-${seed}`)
      const toolCache = join(work, `tool-cache-gives-up-${seed}`)
      const path = join(parent, 'out')
      const never: Fault = {
        method: 'GET',
        path: `/v2/chaos/clean/blobs/${digest}`,
        status: 503,
        times: 1_000
      }
      const run = await underChaos(
        seed,
        'pull (a blob never served)',
        PULL_FAULTS,
        () =>
          onAcr(
            'pull',
            { repository: 'chaos/clean', tag: 'two', path, concurrency: '1' },
            { RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: temp }
          ),
        never
      )
      expect(run.exitCode).toBe(1)
      expect(run.errors).toHaveLength(1)
      expect(run.errors[0]).toContain(digest)
      // Files that landed before the failure are whole pushed files; nothing else is there.
      const pushed = portableView(await snapshotTree(content))
      const landed = portableView(await snapshotTree(path))
      for (const [name, entry] of Object.entries(landed)) expect(pushed[name]).toEqual(entry)
      expect(landed.tree).toBeUndefined()
      expect(await readdir(parent)).toEqual(['out'])
      expect(await pathsUnder(temp)).toEqual([])
      const cached = await toolCacheContents(toolCache)
      expect(cached.stray).toEqual([])
      const layerDigests = cleanManifest.layers.map(layer => layer.digest)
      expect(cached.verified.filter(d => !layerDigests.includes(d) || d === digest)).toEqual([])
    },
    SLOW
  )
})

describe('prune under chaos', () => {
  interface PruneSet {
    root: string
    /** What must remain, per repository: each image with its tags and children. */
    kept: Record<string, Seeded[]>
    /** What the plan sends away, per repository. */
    gone: Record<string, Seeded[]>
    lockedTag: { repository: string; tag: string }
    /** Images (top-level manifests: no children, no referrers) the plan keeps and deletes. */
    images: { kept: number; deleted: number }
  }

  /**
   * Two repositories under `root`: an app with a kept index, a kept image
   * with its SBOM and signature, a locked old image, an old image with its
   * own SBOM and signature, an old index sharing a child with the kept one,
   * an untagged image; and an api of five images in a row.
   */
  async function seedSet(root: string): Promise<PruneSet> {
    const app = `${root}/app`
    const api = `${root}/api`
    const index = await fixture.index(app, { tags: ['v5', 'latest'], time: ago(DAY) })
    const newest = await fixture.image(app, { tags: ['v4'], time: ago(2 * DAY) })
    const old = await fixture.image(app, { tags: ['v3'], time: ago(3 * DAY) })
    const locked = await fixture.image(app, { tags: ['v2'], time: ago(4 * DAY) })
    await fixture.lock(app, { tag: 'v2' })
    const oldIndex = await fixture.index(app, {
      tags: ['v1'],
      time: ago(5 * DAY),
      platforms: ['linux/s390x'],
      reuse: [index.images[0] as Seeded]
    })
    const loose = await fixture.image(app, { time: ago(6 * DAY) })
    const artifacts = [
      await fixture.referrer(app, newest, { time: ago(HOUR) }),
      await fixture.signature(app, newest, ago(HOUR))
    ]
    const oldArtifacts = [
      await fixture.referrer(app, old, { time: ago(HOUR) }),
      await fixture.signature(app, old, ago(HOUR))
    ]
    const series = await fixture.series(api, 5, { newest: ago(DAY) })
    const ownChild = oldIndex.images.filter(image => image !== index.images[0])
    return {
      root,
      kept: {
        [api]: series.slice(0, 2),
        [app]: [index, ...index.images, newest, ...artifacts, locked]
      },
      gone: {
        [api]: series.slice(2),
        [app]: [old, ...oldArtifacts, oldIndex, ...ownChild, loose]
      },
      lockedTag: { repository: app, tag: 'v2' },
      images: { kept: 3 + 2, deleted: 3 + 3 }
    }
  }

  function prune(root: string, env: Record<string, string> = {}): Promise<ActionRun> {
    // One request at a time, the fewest races between what the seed hits.
    return onAcr(
      'prune',
      { repository: `${root}/*`, 'keep-count': '2', concurrency: '1' },
      { RUNNER_TEMP: work, ...env }
    )
  }

  function counts(run: ActionRun) {
    return {
      deleted: Number(run.outputs['deleted-count']),
      kept: Number(run.outputs['kept-count']),
      failed: Number(run.outputs['failed-count'])
    }
  }

  function tagsOf(images: Seeded[]): Record<string, string> {
    return Object.fromEntries(images.flatMap(image => image.tags.map(tag => [tag, image.digest])))
  }

  /**
   * After a run that reported failures: every kept image whole, and of what
   * was to go, only whole images left (an index never without a child, an
   * image never without its tags): nothing half-deleted.
   */
  async function expectNothingHalfDeleted(set: PruneSet): Promise<void> {
    for (const [repository, kept] of Object.entries(set.kept)) {
      const held = await holdings(repository)
      const gone = set.gone[repository] ?? []
      const allowed = [...kept, ...gone].flatMap(image => [image.digest, ...image.children])
      expect(held.manifests.filter(digest => !allowed.includes(digest))).toEqual([])
      for (const image of [...kept, ...gone]) {
        if (!held.manifests.includes(image.digest)) {
          expect(kept).not.toContain(image)
          continue
        }
        for (const child of image.children) expect(held.manifests).toContain(child)
        for (const tag of image.tags) expect(held.tags[tag]).toBe(image.digest)
      }
    }
  }

  /** Exactly the planned images and tags remain, ACR's view agrees, and the lock still holds. */
  async function expectPlannedState(set: PruneSet): Promise<void> {
    for (const [repository, kept] of Object.entries(set.kept)) {
      const digests = kept.flatMap(image => [image.digest, ...image.children])
      expect(await holdings(repository)).toEqual({
        tags: tagsOf(kept),
        manifests: [...new Set(digests)].sort()
      })
    }
    // ACR's own view agrees with the storage, and the lock that kept an image still holds.
    const snapshot = await new AcrReader(azure.acr, oidcSignIn(azure)).snapshot()
    const repositories = Object.keys(snapshot).filter(name => name.startsWith(`${set.root}/`))
    expect(repositories.sort()).toEqual(Object.keys(set.kept).sort())
    for (const [repository, kept] of Object.entries(set.kept)) {
      expect(Object.keys(snapshot[repository]?.tags ?? {}).sort()).toEqual(
        Object.keys(tagsOf(kept)).sort()
      )
    }
    const { repository, tag } = set.lockedTag
    expect(snapshot[repository]?.tags[tag]?.changeableAttributes).toMatchObject({
      writeEnabled: false,
      deleteEnabled: false
    })
  }

  it.each(SEEDS.prune)(
    'seed %i: exactly the planned images and tags remain, locks in place, and the step says so',
    async seed => {
      const set = await seedSet(`chaos/prune-${seed}`)
      const run = await underChaos(seed, 'prune', PRUNE_FAULTS, () => prune(set.root))
      const result = JSON.parse(run.outputs.result ?? '{}') as Result
      if (run.exitCode === 0) {
        // The transport retried every fault away: nothing failed, every kept image re-read whole.
        expect(run.errors).toEqual([])
        expect(counts(run)).toEqual({ ...set.images, failed: 0 })
        expect(result.verified).toBe(set.images.kept)
      } else {
        // An item whose retries ran out fails the step, leaves its image whole, and a
        // fault-free run finishes the job.
        console.info(`chaos seed ${seed}, prune failed: ${run.errors.join(' | ')}`)
        expect(run.errors).toHaveLength(1)
        expect(counts(run).failed).toBeGreaterThan(0)
        await expectNothingHalfDeleted(set)
        const again = await prune(set.root)
        expect(again.errors).toEqual([])
        expect(again.exitCode).toBe(0)
        expect(counts(again).failed).toBe(0)
      }
      await expectPlannedState(set)
    },
    SLOW
  )

  it.each(SEEDS.pruneGivesUp)(
    'seed %i: a delete never served fails the step, leaves its image whole, and a fault-free run converges',
    async seed => {
      const set = await seedSet(`chaos/prune-gives-up-${seed}`)
      const app = `${set.root}/app`
      const loose = set.gone[app]?.at(-1) as Seeded
      const never: Fault = {
        method: 'DELETE',
        path: `/v2/${app}/manifests/${loose.digest}`,
        status: 503,
        times: 1_000
      }
      const run = await underChaos(
        seed,
        'prune (a delete never served)',
        PRUNE_FAULTS,
        () => prune(set.root),
        never
      )
      expect(run.exitCode).toBe(1)
      expect(run.errors).toHaveLength(1)
      expect(counts(run)).toEqual({ ...set.images, deleted: set.images.deleted - 1, failed: 1 })
      const failures = (
        JSON.parse(run.outputs.result ?? '{}') as { failures?: Array<{ digest: string }> }
      ).failures
      expect(failures?.map(failure => failure.digest)).toEqual([loose.digest])
      await expectNothingHalfDeleted(set)
      expect((await holdings(app)).manifests).toContain(loose.digest)

      const again = await prune(set.root)
      expect(again.errors).toEqual([])
      expect(again.exitCode).toBe(0)
      expect(counts(again)).toEqual({ kept: set.images.kept, deleted: 1, failed: 0 })
      await expectPlannedState(set)
    },
    SLOW
  )
})
