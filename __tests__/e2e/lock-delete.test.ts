// lock, unlock and delete through the bundled action, signed in to the ACR
// emulator with OIDC, and on a plain distribution registry. What the action
// did is read back by clients that share no code with it: /acr/v1 through
// test/rig/acr-state.ts (a whole snapshot of the emulator before and after,
// where nothing may change), the registry's storage, and skopeo.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runActionOnAzure } from '../../test/action/on-azure.js'
import { runAction, type ActionRun } from '../../test/action/run-action.js'
import { startAzure, type Azure } from '../../test/emulators/azure.js'
import {
  AcrReader,
  ALL_ENABLED,
  oidcSignIn,
  registryContents,
  type AcrSnapshot,
  type ChangeableAttributes
} from '../../test/rig/acr-state.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { buildImage, pushImage, pushIndex, skopeoInspect } from '../../test/rig/images.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'

const SLOW = 300_000
type Attribute = 'write' | 'delete' | 'read' | 'list'

interface LockItem {
  kind: 'tag' | 'manifest' | 'repository'
  name: string
  parent?: string
  before: ChangeableAttributes
  after: ChangeableAttributes
  changed: boolean
}

interface LockResult {
  operation: string
  digest?: string
  changed: number
  attributes: Partial<ChangeableAttributes>
  items: LockItem[]
}

interface DeleteResult {
  operation: string
  digest?: string
  kind: string
  status: string
  dryRun: boolean
  wouldDelete: string[]
  referencedBy: Array<{ digest: string; tags: string[] }>
}

let azure: Azure
let plain: Registry
let reader: AcrReader
let work: string
let seeds = 0

beforeAll(async () => {
  azure = await startAzure()
  plain = await startRegistry()
  reader = new AcrReader(azure.acr, oidcSignIn(azure))
  work = await makeTempDir('e2e-lock-delete')
}, 60_000)

afterAll(async () => {
  await azure?.stop()
  await plain?.stop()
  await removeTempDir(work)
})

function onAcr(operation: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runActionOnAzure(azure, { operation, ...inputs }, {}, SLOW)
}

function onPlain(operation: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({ operation, registry: plain.url, ...inputs }, {}, SLOW)
}

function succeeded<T>(run: ActionRun): T {
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  return JSON.parse(run.outputs.result ?? '{}') as T
}

/** The one error line of a failed run. */
function failure(run: ActionRun): string {
  expect(run.exitCode).toBe(1)
  expect(run.errors).toHaveLength(1)
  return run.errors[0] ?? ''
}

const disabled = (...names: Attribute[]): ChangeableAttributes => ({
  ...ALL_ENABLED,
  ...Object.fromEntries(names.map(name => [`${name}Enabled`, false]))
})

/** A fresh single-layer image pushed straight to `registry` under every tag. */
async function seedImage(registry: Registry, repository: string, tags: string[]): Promise<string> {
  const files = { 'app.txt': randomBytes(8).toString('hex') }
  const layout = await buildImage({ dir: join(work, `image-${++seeds}`), files })
  let digest = ''
  for (const tag of tags) digest = await pushImage(registry, layout, `${repository}:${tag}`)
  return digest
}

const seedIndex = (repository: string, tag: string) =>
  pushIndex(azure.registry, `${repository}:${tag}`, [
    { os: 'linux', arch: 'amd64' },
    { os: 'linux', arch: 'arm64' }
  ])

/** `snapshot` with some of its changeableAttributes replaced: what a lock should leave. */
function withAttributes(
  snapshot: AcrSnapshot,
  repository: string,
  changes: {
    repository?: ChangeableAttributes
    tags?: Record<string, ChangeableAttributes>
    manifests?: Record<string, ChangeableAttributes>
  }
): AcrSnapshot {
  const copy = structuredClone(snapshot)
  const state = copy[repository]
  if (!state) throw new Error(`no repository ${repository} in the snapshot`)
  if (changes.repository) state.properties.changeableAttributes = changes.repository
  const held = <T>(item: T | undefined, what: string): T => {
    if (item === undefined) throw new Error(`no ${what} in the snapshot of ${repository}`)
    return item
  }
  for (const [tag, attributes] of Object.entries(changes.tags ?? {})) {
    held(state.tags[tag], `tag ${tag}`).changeableAttributes = attributes
  }
  for (const [digest, attributes] of Object.entries(changes.manifests ?? {})) {
    held(state.manifests[digest], `manifest ${digest}`).changeableAttributes = attributes
  }
  return copy
}

describe('lock and unlock on ACR', () => {
  it('locks a tag (write, delete by default) and nothing else, says "already", and unlocks it', async () => {
    const repository = 'lock/tag'
    const digest = await seedImage(azure.registry, repository, ['v1', 'v2'])
    const original = await reader.snapshot()

    const run = await onAcr('lock', { repository, tag: 'v1' })
    expect(succeeded<LockResult>(run)).toEqual({
      operation: 'lock',
      digest,
      reference: `${azure.acr.host}/${repository}@${digest}`,
      repository,
      attributes: { writeEnabled: false, deleteEnabled: false },
      changed: 1,
      items: [
        {
          kind: 'tag',
          name: 'v1',
          before: ALL_ENABLED,
          after: disabled('write', 'delete'),
          changed: true
        }
      ]
    })
    expect(run.outputs.digest).toBe(digest)
    for (const shown of ['<th>Before</th>', '<th>After</th>', 'nothing disabled']) {
      expect(run.summary).toContain(shown)
    }
    expect(run.summary).toContain('write, delete disabled')
    const locked = withAttributes(original, repository, {
      tags: { v1: disabled('write', 'delete') }
    })
    expect(await reader.snapshot()).toEqual(locked)

    const again = await onAcr('lock', { repository, tag: 'v1' })
    const repeated = succeeded<LockResult>(again)
    expect(repeated.changed).toBe(0)
    expect(repeated.items).toEqual([
      expect.objectContaining({
        before: disabled('write', 'delete'),
        after: disabled('write', 'delete'),
        changed: false
      })
    ])
    expect(again.stdout).toMatch(/tag v1: already write, delete disabled/)
    expect(await reader.snapshot()).toEqual(locked)

    const unlocked = succeeded<LockResult>(await onAcr('unlock', { repository, tag: 'v1' }))
    expect(unlocked.attributes).toEqual({ writeEnabled: true, deleteEnabled: true })
    expect(unlocked.items).toEqual([
      expect.objectContaining({ before: disabled('write', 'delete'), after: ALL_ENABLED })
    ])
    expect(await reader.snapshot()).toEqual(original)
  })

  it.each(['write', 'delete', 'read', 'list', 'write, DELETE,read\nlist'])(
    'lock-attributes %j disables exactly that on the tag, and unlock enables it again',
    async text => {
      const attributes = text.toLowerCase().split(/[\s,]+/) as Attribute[]
      const repository = `lock/attributes-${attributes.join('-')}`
      await seedImage(azure.registry, repository, ['v1'])
      const original = await reader.snapshot()
      const inputs = { repository, tag: 'v1', 'lock-attributes': text }
      const result = succeeded<LockResult>(await onAcr('lock', inputs))
      expect(result.attributes).toEqual(
        Object.fromEntries(attributes.map(name => [`${name}Enabled`, false]))
      )
      expect(result.items[0]?.after).toEqual(disabled(...attributes))
      expect(await reader.snapshot()).toEqual(
        withAttributes(original, repository, { tags: { v1: disabled(...attributes) } })
      )
      succeeded(await onAcr('unlock', inputs))
      expect(await reader.snapshot()).toEqual(original)
    },
    SLOW
  )

  it('locks several tags in one step, leaving the others', async () => {
    const repository = 'lock/tags'
    await seedImage(azure.registry, repository, ['v1', 'v2', 'v3'])
    const original = await reader.snapshot()
    const run = await onAcr('lock', { repository, tag: 'v1,v2' })
    const result = succeeded<LockResult>(run)
    expect(result.items.map(item => [item.kind, item.name, item.changed])).toEqual([
      ['tag', 'v1', true],
      ['tag', 'v2', true]
    ])
    const both = { v1: disabled('write', 'delete'), v2: disabled('write', 'delete') }
    expect(await reader.snapshot()).toEqual(withAttributes(original, repository, { tags: both }))
    succeeded(await onAcr('unlock', { repository, tag: 'v1\nv2' }))
    expect(await reader.snapshot()).toEqual(original)
  })

  it('locks a manifest by digest, not its tags', async () => {
    const repository = 'lock/manifest'
    const digest = await seedImage(azure.registry, repository, ['v1'])
    const original = await reader.snapshot()
    const run = await onAcr('lock', { repository, digest })
    expect(succeeded<LockResult>(run).items).toEqual([
      {
        kind: 'manifest',
        name: digest,
        before: ALL_ENABLED,
        after: disabled('write', 'delete'),
        changed: true
      }
    ])
    expect(run.outputs.digest).toBe(digest)
    expect(await reader.snapshot()).toEqual(
      withAttributes(original, repository, { manifests: { [digest]: disabled('write', 'delete') } })
    )
    succeeded(await onAcr('unlock', { repository, digest }))
    expect(await reader.snapshot()).toEqual(original)
  })

  it('locks an index with its children (each read back from /acr/v1), and unlock lifts them all', async () => {
    const repository = 'lock/index'
    const index = await seedIndex(repository, 'multi')
    const references = (await reader.manifest(repository, index.digest))?.references ?? []
    const children = references.map(reference => reference.digest)
    expect(children.sort()).toEqual(index.children.map(child => child.digest).sort())
    const original = await reader.snapshot()

    const result = succeeded<LockResult>(await onAcr('lock', { repository, digest: index.digest }))
    expect(result.items[0]).toEqual(
      expect.objectContaining({ kind: 'manifest', name: index.digest })
    )
    expect(result.items[0]?.parent).toBeUndefined()
    expect(
      result.items
        .slice(1)
        .map(item => [item.name, item.parent, item.changed])
        .sort()
    ).toEqual(children.map(child => [child, index.digest, true]).sort())
    for (const child of children) {
      const read = await reader.manifest(repository, child)
      expect(read?.changeableAttributes).toEqual(disabled('write', 'delete'))
    }
    const all = Object.fromEntries(
      [index.digest, ...children].map(d => [d, disabled('write', 'delete')])
    )
    expect(await reader.snapshot()).toEqual(
      withAttributes(original, repository, { manifests: all })
    )

    const unlocked = succeeded<LockResult>(
      await onAcr('unlock', { repository, digest: index.digest })
    )
    expect(unlocked.items.every(item => item.changed)).toBe(true)
    for (const child of children) {
      expect((await reader.manifest(repository, child))?.changeableAttributes).toEqual(ALL_ENABLED)
    }
    expect(await reader.snapshot()).toEqual(original)
  })

  it('locks the repository without a tag or digest, and nothing in it', async () => {
    const repository = 'lock/repository'
    await seedImage(azure.registry, repository, ['v1'])
    const original = await reader.snapshot()
    const run = await onAcr('lock', { repository })
    expect(succeeded<LockResult>(run).items).toEqual([
      {
        kind: 'repository',
        name: repository,
        before: ALL_ENABLED,
        after: disabled('write', 'delete'),
        changed: true
      }
    ])
    expect(run.outputs.digest).toBeUndefined()
    expect(await reader.snapshot()).toEqual(
      withAttributes(original, repository, { repository: disabled('write', 'delete') })
    )
    succeeded(await onAcr('unlock', { repository }))
    expect(await reader.snapshot()).toEqual(original)
  })

  it.each(['lock', 'unlock'])(
    '%s on a registry that is not ACR fails with one error naming ACR, changing nothing',
    async operation => {
      const repository = `plain/${operation}`
      await seedImage(plain, repository, ['v1'])
      const before = await registryContents(plain)
      const requests = (await plain.requests()).length
      const run = await onPlain(operation, { repository, tag: 'v1' })
      expect(failure(run)).toContain('needs Azure Container Registry')
      expect(await registryContents(plain)).toEqual(before)
      const sent = (await plain.requests()).slice(requests)
      expect(sent.filter(entry => !['GET', 'HEAD'].includes(entry.method))).toEqual([])
    },
    SLOW
  )
})

describe('delete on ACR', () => {
  it('deletes a tag only: the manifest and its other tags stay', async () => {
    const repository = 'delete/tag'
    const digest = await seedImage(azure.registry, repository, ['v1', 'v2'])
    const run = await onAcr('delete', { repository, tag: 'v1' })
    expect(succeeded<DeleteResult>(run)).toMatchObject({
      operation: 'delete',
      digest,
      kind: 'tag',
      status: 'deleted',
      dryRun: false
    })
    expect(run.outputs).toMatchObject({
      'deleted-count': '0',
      'kept-count': '1',
      'failed-count': '0'
    })
    expect(await reader.tag(repository, 'v1')).toBeUndefined()
    expect((await reader.tag(repository, 'v2'))?.digest).toBe(digest)
    expect((await reader.manifest(repository, digest))?.tags).toEqual(['v2'])
    expect((await skopeoInspect(azure.registry, `${repository}:v2`)).digest).toBe(digest)
  })

  it('deletes a manifest by digest with all its tags, and nothing else', async () => {
    const repository = 'delete/digest'
    const digest = await seedImage(azure.registry, repository, ['v1', 'v2'])
    const other = await seedImage(azure.registry, repository, ['other'])
    const run = await onAcr('delete', { repository, digest })
    expect(succeeded<DeleteResult>(run)).toMatchObject({
      kind: 'manifest',
      status: 'deleted',
      digest
    })
    expect(run.outputs).toMatchObject({
      'deleted-count': '1',
      'kept-count': '0',
      'failed-count': '0'
    })
    expect(await reader.manifest(repository, digest)).toBeUndefined()
    expect(await reader.tag(repository, 'v1')).toBeUndefined()
    expect(await reader.tag(repository, 'v2')).toBeUndefined()
    expect((await registryContents(azure.registry))[repository]).toEqual({
      tags: { other },
      manifests: [other]
    })
  })

  it('refuses a digest a tagged index refers to, naming the index and force; force deletes it', async () => {
    const repository = 'delete/child'
    const index = await seedIndex(repository, 'multi')
    const child = index.children[0]?.digest ?? ''
    const before = await reader.snapshot()
    const refused = failure(await onAcr('delete', { repository, digest: child }))
    for (const named of [index.digest, 'multi', 'force']) expect(refused).toContain(named)
    expect(await reader.snapshot()).toEqual(before)

    const run = await onAcr('delete', { repository, digest: child, force: 'true' })
    const result = succeeded<DeleteResult>(run)
    expect(result).toMatchObject({ status: 'deleted', digest: child })
    expect(result.referencedBy).toEqual([{ digest: index.digest, tags: ['multi'] }])
    // A child is not an image of its own: it counts neither as deleted nor as kept.
    expect(run.outputs).toMatchObject({ 'deleted-count': '0', 'kept-count': '0' })
    expect(await reader.manifest(repository, child)).toBeUndefined()
    expect((await reader.tag(repository, 'multi'))?.digest).toBe(index.digest)
  })

  it('deletes the whole repository when given neither tag nor digest', async () => {
    const repository = 'delete/whole'
    await seedImage(azure.registry, repository, ['v1'])
    await seedImage(azure.registry, repository, ['v2', 'v3'])
    await seedImage(azure.registry, 'delete/neighbour', ['v1'])
    const before = await reader.snapshot()
    const run = await onAcr('delete', { repository })
    expect(succeeded<DeleteResult>(run)).toMatchObject({ kind: 'repository', status: 'deleted' })
    expect(run.outputs).toMatchObject({ 'deleted-count': '2', 'failed-count': '0' })
    expect(await reader.repository(repository)).toBeUndefined()
    const rest = structuredClone(before)
    delete rest[repository]
    expect(await reader.snapshot()).toEqual(rest)
  })

  interface DryRun {
    inputs: Record<string, string>
    /** What the result names, with the repository. */
    what: string
    kept: string
  }
  it.each<[string, (repository: string, digest: string) => DryRun]>([
    ['a tag', repository => ({ inputs: { tag: 'v1' }, what: `tag ${repository}:v1`, kept: '1' })],
    [
      'a manifest',
      (repository, digest) => ({
        inputs: { digest },
        what: `manifest ${repository}@${digest}`,
        kept: '0'
      })
    ],
    ['the repository', repository => ({ inputs: {}, what: `repository ${repository}`, kept: '0' })]
  ])('dry-run of %s says what would go and changes nothing', async (name, target) => {
    const repository = `dry/${name.replace(/\W/g, '')}`
    const digest = await seedImage(azure.registry, repository, ['v1', 'v2'])
    const { inputs, what, kept } = target(repository, digest)
    const before = await reader.snapshot()
    const run = await onAcr('delete', { repository, ...inputs, 'dry-run': 'true' })
    expect(succeeded<DeleteResult>(run)).toMatchObject({
      status: 'would delete',
      dryRun: true,
      wouldDelete: [what]
    })
    expect(run.outputs).toMatchObject({
      'deleted-count': '0',
      'kept-count': kept,
      'failed-count': '0'
    })
    expect(run.summary).toContain('Dry run')
    expect(run.stdout).toContain(`dry run: would delete ${what}`)
    expect(await reader.snapshot()).toEqual(before)
  })

  it.each([
    ['a tag', () => ({ tag: 'never-was' })],
    ['a digest', () => ({ digest: `sha256:${randomBytes(32).toString('hex')}` })]
  ])('succeeds with a note when %s is already gone', async (_name, target) => {
    const repository = 'delete/gone'
    await seedImage(azure.registry, repository, ['v1'])
    const before = await reader.snapshot()
    const run = await onAcr('delete', { repository, ...target() })
    expect(succeeded<DeleteResult>(run).status).toBe('already gone')
    expect(run.stdout).toContain('already gone')
    expect(run.outputs).toMatchObject({ 'deleted-count': '0', 'failed-count': '0' })
    expect(await reader.snapshot()).toEqual(before)
  })
})

describe('delete refused by a lock', () => {
  interface LockCase {
    lockOn: 'tag' | 'manifest' | 'repository'
    attributes: Partial<ChangeableAttributes>
    /** What to delete: the tag v1, its manifest, or the repository. */
    remove: 'tag' | 'manifest' | 'repository'
  }
  const cases: Array<[string, LockCase]> = [
    [
      'a tag with writeEnabled: false',
      { lockOn: 'tag', attributes: { writeEnabled: false }, remove: 'tag' }
    ],
    [
      'a tag with deleteEnabled: false',
      { lockOn: 'tag', attributes: { deleteEnabled: false }, remove: 'tag' }
    ],
    [
      'a manifest with deleteEnabled: false',
      { lockOn: 'manifest', attributes: { deleteEnabled: false }, remove: 'manifest' }
    ],
    [
      'a manifest with writeEnabled: false',
      { lockOn: 'manifest', attributes: { writeEnabled: false }, remove: 'manifest' }
    ],
    [
      'a repository with writeEnabled: false',
      { lockOn: 'repository', attributes: { writeEnabled: false }, remove: 'repository' }
    ],
    [
      'a repository with deleteEnabled: false',
      { lockOn: 'repository', attributes: { deleteEnabled: false }, remove: 'repository' }
    ],
    // The emulator checks the locks of every record a delete takes with it (its locks.ts).
    [
      'a manifest whose tag has writeEnabled: false',
      { lockOn: 'tag', attributes: { writeEnabled: false }, remove: 'manifest' }
    ],
    [
      'a repository holding a manifest with deleteEnabled: false',
      { lockOn: 'manifest', attributes: { deleteEnabled: false }, remove: 'repository' }
    ]
  ]

  it.each(cases)(
    'deleting %s fails naming the lock and the unlock step, changes nothing, and works after unlock',
    async (name, lockCase) => {
      const repository = `locked/${name.replace(/\W+/g, '-').toLowerCase()}`
      const digest = await seedImage(azure.registry, repository, ['v1'])
      const attribute = Object.keys(lockCase.attributes)[0] as keyof ChangeableAttributes
      const at = { tag: { tag: 'v1' }, manifest: { digest }, repository: {} }
      await azure.acr.setAttributes({ repository, ...at[lockCase.lockOn] }, lockCase.attributes)
      const before = await reader.snapshot()

      const message = failure(await onAcr('delete', { repository, ...at[lockCase.remove] }))
      expect(await reader.snapshot()).toEqual(before)
      const where = {
        tag: `tag ${repository}:v1`,
        manifest: `manifest ${repository}@${digest}`,
        repository: `repository ${repository}`
      }[lockCase.lockOn]
      expect(message).toContain(`${attribute}: false`)
      expect(message).toContain(where)
      expect(message).toContain('operation: unlock')

      const lifted = attribute === 'writeEnabled' ? 'write' : 'delete'
      const unlock = { repository, ...at[lockCase.lockOn], 'lock-attributes': lifted }
      succeeded(await onAcr('unlock', unlock))
      succeeded(await onAcr('delete', { repository, ...at[lockCase.remove] }))
      if (lockCase.remove === 'tag') expect(await reader.tag(repository, 'v1')).toBeUndefined()
      if (lockCase.remove === 'manifest')
        expect(await reader.manifest(repository, digest)).toBeUndefined()
      if (lockCase.remove === 'repository')
        expect(await reader.repository(repository)).toBeUndefined()
    },
    SLOW
  )

  it('a locked tag is neither overwritten by push nor removed by delete; after unlock both work', async () => {
    const repository = 'locked/stable'
    const content = join(work, 'stable')
    await mkdir(content, { recursive: true })
    const push = async (text: string) => {
      await writeFile(join(content, 'app.txt'), text)
      return onAcr('push', { repository, tag: 'stable', path: content, files: 'app.txt' })
    }
    const first = succeeded<{ digest: string }>(await push(randomBytes(8).toString('hex'))).digest
    succeeded(await onAcr('lock', { repository, tag: 'stable' }))

    const refusedPush = failure(await push(randomBytes(8).toString('hex')))
    expect(refusedPush).toContain('unlock')
    expect((await reader.tag(repository, 'stable'))?.digest).toBe(first)
    const refusedDelete = failure(await onAcr('delete', { repository, tag: 'stable' }))
    expect(refusedDelete).toContain('writeEnabled')
    expect(refusedDelete).toContain('operation: unlock')
    expect((await skopeoInspect(azure.registry, `${repository}:stable`)).digest).toBe(first)

    succeeded(await onAcr('unlock', { repository, tag: 'stable' }))
    const second = succeeded<{ digest: string }>(await push(randomBytes(8).toString('hex'))).digest
    expect(second).not.toBe(first)
    expect((await reader.tag(repository, 'stable'))?.digest).toBe(second)
    succeeded(await onAcr('delete', { repository, tag: 'stable' }))
    expect(await reader.tag(repository, 'stable')).toBeUndefined()
    expect(await reader.manifest(repository, second)).toBeDefined()
  })
})

describe('delete on a plain distribution registry', () => {
  it('deletes a manifest by digest with its tags', async () => {
    const repository = 'plain/digest'
    const digest = await seedImage(plain, repository, ['v1', 'v2'])
    const other = await seedImage(plain, repository, ['other'])
    const run = await onPlain('delete', { repository, digest })
    expect(succeeded<DeleteResult>(run)).toMatchObject({ status: 'deleted', digest })
    expect(run.outputs).toMatchObject({
      'deleted-count': '1',
      'kept-count': '0',
      'failed-count': '0'
    })
    expect((await registryContents(plain))[repository]).toEqual({
      tags: { other },
      manifests: [other]
    })
  })

  it('refuses a tag alone as distribution 2.8 does, saying to delete by digest, changing nothing', async () => {
    const repository = 'plain/tag'
    await seedImage(plain, repository, ['v1', 'v2'])
    const before = await registryContents(plain)
    const message = failure(await onPlain('delete', { repository, tag: 'v1' }))
    // distribution 2.8 takes the tag for a digest: 400 DIGEST_INVALID.
    expect(message).toContain('DIGEST_INVALID')
    expect(message).toContain('does not delete a tag alone')
    expect(message).toContain('delete the manifest by digest')
    expect(await registryContents(plain)).toEqual(before)
  })

  it('refuses a whole repository, which needs ACR, changing nothing', async () => {
    const repository = 'plain/whole'
    await seedImage(plain, repository, ['v1'])
    const before = await registryContents(plain)
    const message = failure(await onPlain('delete', { repository }))
    expect(message).toContain('needs Azure Container Registry')
    expect(await registryContents(plain)).toEqual(before)
  })
})
