// The lock and delete operations driven directly, with an OperationContext
// built from the action's own clients, against the ACR emulator (admin user)
// and a plain distribution registry: planDelete reads and never changes
// anything, lock() reports what it did item by item, and findLock names the
// first lock that stands in the way of a change. What the registry holds is
// read back through test/rig/acr-state.ts, which shares no code with them.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { Authorizer } from '../../src/auth/authorizer.js'
import type { Credentials } from '../../src/auth/credentials.js'
import { Transport } from '../../src/http/transport.js'
import type {
  CommonInputs,
  DeleteInputs,
  LockAttribute,
  LockInputs,
  Target
} from '../../src/inputs.js'
import type { OperationContext } from '../../src/operations/context.js'
import { planDelete } from '../../src/operations/delete.js'
import { lock, NeedsAcrError } from '../../src/operations/lock.js'
import { findLock, type Change } from '../../src/operations/locks.js'
import { AcrMetadataClient } from '../../src/registry/acr-metadata.js'
import { RegistryClient } from '../../src/registry/client.js'
import { RegistryError } from '../../src/registry/errors.js'
import { parseRegistry } from '../../src/registry/reference.js'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import { AcrReader, ALL_ENABLED, basicSignIn, registryContents } from '../../test/rig/acr-state.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { buildImage, pushImage, pushIndex } from '../../test/rig/images.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'
import { createCertificateAuthority } from '../../test/rig/tls.js'

const admin = { username: 'lockadmin', password: 'lock-Password-1' }
const LOCKED = { ...ALL_ENABLED, writeEnabled: false, deleteEnabled: false }

let dir: string
let backing: Registry
let plain: Registry
let acr: AcrEmulator
let transport: Transport
let reader: AcrReader
let seeds = 0

beforeAll(async () => {
  dir = await makeTempDir('lock-delete')
  const ca = await createCertificateAuthority(join(dir, 'ca'))
  backing = await startRegistry()
  plain = await startRegistry()
  acr = await startAcrEmulator({ ca, registry: backing, users: [admin] })
  transport = new Transport({ ca: ca.pem, proxy: {}, retry: { baseDelayMs: 10 } })
  reader = new AcrReader(acr, basicSignIn(acr, admin))
})

afterAll(async () => {
  await transport?.close()
  await acr?.stop()
  await backing?.stop()
  await plain?.stop()
  await removeTempDir(dir)
})

interface Context extends OperationContext {
  /** What the operation logged. */
  lines: string[]
}

function contextFor(url: string, credentials: Credentials, acrMetadata: boolean): Context {
  const authorizer = new Authorizer({ transport, credentials, mask: () => undefined })
  const client = new RegistryClient(url, transport, authorizer)
  const lines: string[] = []
  const push = (line: string): void => void lines.push(line)
  return {
    client,
    ...(acrMetadata ? { metadata: new AcrMetadataClient(client) } : {}),
    log: { info: push, warning: push, debug: () => undefined },
    lines
  }
}

const onAcr = (): Context => contextFor(acr.url, { kind: 'basic', ...admin }, true)
const onPlain = (): Context => contextFor(plain.url, { kind: 'anonymous' }, false)

function common(url: string): CommonInputs {
  return {
    registry: parseRegistry(url),
    auth: { mode: 'password', ...admin },
    summary: true,
    concurrency: 4
  }
}

function deleting(target: Target, url = acr.url): DeleteInputs {
  return { operation: 'delete', ...common(url), target, dryRun: false, force: false }
}

function locking(
  operation: 'lock' | 'unlock',
  target: LockInputs['target'],
  attributes: LockAttribute[] = ['write', 'delete']
): LockInputs {
  return { operation, ...common(acr.url), target, attributes }
}

async function seedImage(registry: Registry, repository: string, tags: string[]): Promise<string> {
  const files = { 'app.txt': `${repository} ${++seeds}` }
  const layout = await buildImage({ dir: join(dir, `image-${seeds}`), files })
  let digest = ''
  for (const tag of tags) digest = await pushImage(registry, layout, `${repository}:${tag}`)
  return digest
}

describe('planDelete reads and changes nothing', () => {
  const repository = 'plan/app'
  let image: string
  let other: string
  let index: { digest: string; children: Array<{ digest: string }> }

  beforeAll(async () => {
    image = await seedImage(backing, repository, ['v1', 'v2'])
    other = await seedImage(backing, repository, ['other'])
    index = await pushIndex(backing, `${repository}:multi`, [
      { os: 'linux', arch: 'amd64' },
      { os: 'linux', arch: 'arm64' }
    ])
  })

  afterEach(async () => {
    await acr.setAttributes({ repository, tag: 'v1' }, ALL_ENABLED)
    await acr.setAttributes({ repository }, ALL_ENABLED)
  })

  const base = { repository, referencedBy: [], imagesDeleted: 0, imagesKept: 0 }
  const child = () => index.children[0]?.digest ?? ''
  const missing = `sha256:${'0'.repeat(64)}`

  it.each<[string, () => Target, () => object]>([
    [
      'a tag',
      () => ({ kind: 'tag', repository, tag: 'v1' }),
      () => ({ ...base, kind: 'tag', name: 'v1', gone: false, digest: image, imagesKept: 1 })
    ],
    [
      'a tag that is not there',
      () => ({ kind: 'tag', repository, tag: 'nope' }),
      () => ({ ...base, kind: 'tag', name: 'nope', gone: true })
    ],
    [
      'a top-level manifest',
      () => ({ kind: 'digest', repository, digest: image }),
      () => ({
        ...base,
        kind: 'manifest',
        name: image,
        gone: false,
        digest: image,
        imagesDeleted: 1
      })
    ],
    [
      "a tagged index's child",
      () => ({ kind: 'digest', repository, digest: child() }),
      () => ({
        ...base,
        kind: 'manifest',
        name: child(),
        gone: false,
        digest: child(),
        referencedBy: [{ digest: index.digest, tags: ['multi'] }]
      })
    ],
    [
      'a manifest that is not there',
      () => ({ kind: 'digest', repository, digest: missing }),
      () => ({ ...base, kind: 'manifest', name: missing, gone: true, digest: missing })
    ],
    [
      'the repository',
      () => ({ kind: 'repository', repository }),
      // The two images and the index; the index's children are not images of their own.
      () => ({ ...base, kind: 'repository', name: repository, gone: false, imagesDeleted: 3 })
    ],
    [
      'a repository that is not there',
      () => ({ kind: 'repository', repository: 'plan/none' }),
      () => ({
        ...base,
        repository: 'plan/none',
        kind: 'repository',
        name: 'plan/none',
        gone: true
      })
    ]
  ])('on ACR plans %s', async (_name, target, expected) => {
    const before = await reader.snapshot()
    expect(await planDelete(deleting(target()), onAcr())).toEqual(expected())
    expect(await reader.snapshot()).toEqual(before)
  })

  it('names the lock that would refuse it, tag first, without lifting it', async () => {
    await acr.setAttributes({ repository, tag: 'v1' }, { deleteEnabled: false })
    await acr.setAttributes({ repository }, { writeEnabled: false })
    const before = await reader.snapshot()
    const byTag = await planDelete(deleting({ kind: 'tag', repository, tag: 'v1' }), onAcr())
    expect(byTag.lock).toEqual({ on: 'tag', name: 'v1', attribute: 'deleteEnabled' })
    const byDigest = await planDelete(
      deleting({ kind: 'digest', repository, digest: other }),
      onAcr()
    )
    expect(byDigest.lock).toEqual({ on: 'repository', name: repository, attribute: 'writeEnabled' })
    expect(await reader.snapshot()).toEqual(before)
  })

  it('on a plain registry plans a tag and a digest, and refuses a whole repository', async () => {
    const plainDigest = await seedImage(plain, repository, ['v1', 'v2'])
    const before = await registryContents(plain)
    const requests = (await plain.requests()).length
    const context = onPlain()
    expect(
      await planDelete(deleting({ kind: 'tag', repository, tag: 'v2' }, plain.url), context)
    ).toEqual({
      ...base,
      kind: 'tag',
      name: 'v2',
      gone: false,
      digest: plainDigest,
      imagesKept: 1
    })
    const digestTarget: Target = { kind: 'digest', repository, digest: plainDigest }
    expect(await planDelete(deleting(digestTarget, plain.url), context)).toEqual({
      ...base,
      kind: 'manifest',
      name: plainDigest,
      gone: false,
      digest: plainDigest,
      imagesDeleted: 1
    })
    await expect(
      planDelete(deleting({ kind: 'repository', repository }, plain.url), context)
    ).rejects.toBeInstanceOf(NeedsAcrError)
    expect(await registryContents(plain)).toEqual(before)
    const sent = (await plain.requests()).slice(requests)
    expect(sent.filter(entry => !['GET', 'HEAD'].includes(entry.method))).toEqual([])
  })
})

describe('lock() results', () => {
  it('reports a tag before and after, with the digest and a Before/After table', async () => {
    const repository = 'shape/tag'
    const digest = await seedImage(backing, repository, ['v1'])
    const first = await lock(locking('lock', { kind: 'tag', repository, tag: 'v1' }), onAcr())
    expect(first.outputs).toEqual({ digest })
    expect(first.result).toEqual({
      operation: 'lock',
      digest,
      reference: `${acr.host}/${repository}@${digest}`,
      repository,
      attributes: { writeEnabled: false, deleteEnabled: false },
      changed: 1,
      items: [{ kind: 'tag', name: 'v1', before: ALL_ENABLED, after: LOCKED, changed: true }]
    })
    expect(first.report.title).toBe(`Locked in ${acr.host}/${repository}`)
    expect(first.report.facts).toContainEqual(['Changed', '1 of 1'])
    expect(first.report.tables).toEqual([
      {
        caption: 'Items',
        header: ['Kind', 'Name', 'Before', 'After', 'Changed'],
        rows: [['tag', 'v1', 'nothing disabled', 'write, delete disabled', 'yes']]
      }
    ])

    const context = onAcr()
    const again = await lock(locking('lock', { kind: 'tag', repository, tag: 'v1' }), context)
    expect(again.result).toMatchObject({
      changed: 0,
      items: [{ kind: 'tag', name: 'v1', before: LOCKED, after: LOCKED, changed: false }]
    })
    expect(again.report.tables[0]?.rows[0]?.[4]).toBe('no (already so)')
    expect(context.lines).toEqual(['tag v1: already write, delete disabled, unchanged'])
    expect((await reader.tag(repository, 'v1'))?.changeableAttributes).toEqual(LOCKED)
  })

  it('reports several tags, without a digest', async () => {
    const repository = 'shape/tags'
    await seedImage(backing, repository, ['v1', 'v2'])
    const outcome = await lock(
      locking('lock', { kind: 'tags', repository, tags: ['v1', 'v2'] }),
      onAcr()
    )
    expect(outcome.outputs).toEqual({})
    expect(outcome.result.digest).toBeUndefined()
    expect(outcome.result.items).toEqual([
      { kind: 'tag', name: 'v1', before: ALL_ENABLED, after: LOCKED, changed: true },
      { kind: 'tag', name: 'v2', before: ALL_ENABLED, after: LOCKED, changed: true }
    ])
  })

  it("reports an index's children with their parent", async () => {
    const repository = 'shape/index'
    const index = await pushIndex(backing, `${repository}:multi`, [
      { os: 'linux', arch: 'amd64' },
      { os: 'linux', arch: 'arm64' }
    ])
    const target = { kind: 'digest' as const, repository, digest: index.digest }
    const outcome = await lock(locking('lock', target), onAcr())
    const items = outcome.result.items as Array<Record<string, unknown>>
    expect(items[0]).toEqual({
      kind: 'manifest',
      name: index.digest,
      before: ALL_ENABLED,
      after: LOCKED,
      changed: true
    })
    expect(items.slice(1)).toEqual(
      index.children.map(child => ({
        kind: 'manifest',
        name: child.digest,
        parent: index.digest,
        before: ALL_ENABLED,
        after: LOCKED,
        changed: true
      }))
    )
  })

  it('reports the repository, and unlock enables only the attributes asked for', async () => {
    const repository = 'shape/repository'
    await seedImage(backing, repository, ['v1'])
    await acr.setAttributes({ repository }, { readEnabled: false, writeEnabled: false })
    const outcome = await lock(
      locking('unlock', { kind: 'repository', repository }, ['read']),
      onAcr()
    )
    expect(outcome.outputs).toEqual({})
    expect(outcome.result).toMatchObject({
      operation: 'unlock',
      attributes: { readEnabled: true },
      items: [
        {
          kind: 'repository',
          name: repository,
          before: { ...ALL_ENABLED, readEnabled: false, writeEnabled: false },
          after: { ...ALL_ENABLED, writeEnabled: false },
          changed: true
        }
      ]
    })
    expect(outcome.report.title).toBe(`Unlocked in ${acr.host}/${repository}`)
  })

  it('fails on a tag that does not exist, changing nothing', async () => {
    const repository = 'shape/missing'
    await seedImage(backing, repository, ['v1'])
    const before = await reader.snapshot()
    const target = { kind: 'tags' as const, repository, tags: ['v1', 'nope'] }
    const error = await lock(locking('lock', target), onAcr()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).notFound).toBe(true)
    expect((error as Error).message).toContain('nope')
    expect(await reader.snapshot()).toEqual(before)
  })

  it('refuses a registry without ACR metadata before any request', async () => {
    const requests = (await plain.requests()).length
    const error = await lock(
      { ...locking('lock', { kind: 'repository', repository: 'any/thing' }), ...common(plain.url) },
      onPlain()
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NeedsAcrError)
    expect((error as Error).message).toContain(
      `${plain.host} is an OCI registry without ACR's metadata API`
    )
    expect((await plain.requests()).length).toBe(requests)
  })
})

describe('findLock', () => {
  const repository = 'find/app'
  let digest: string

  beforeAll(async () => {
    digest = await seedImage(backing, repository, ['v1'])
  })

  afterEach(async () => {
    await acr.setAttributes({ repository, tag: 'v1' }, ALL_ENABLED)
    await acr.setAttributes({ repository, digest }, ALL_ENABLED)
    await acr.setAttributes({ repository }, ALL_ENABLED)
  })

  const places = ['tag', 'manifest', 'repository'] as const
  const attributes = ['writeEnabled', 'deleteEnabled', 'readEnabled', 'listEnabled'] as const
  const blocks: Record<(typeof attributes)[number], Change[]> = {
    writeEnabled: ['write', 'delete'],
    deleteEnabled: ['delete'],
    readEnabled: [],
    listEnabled: []
  }
  const cases = places.flatMap(place => attributes.map(attribute => [place, attribute] as const))

  it.each(cases)(
    'with the %s at %s: false, finds it for what that stops and for nothing else',
    async (place, attribute) => {
      const where = { tag: { tag: 'v1' }, manifest: { digest }, repository: {} }[place]
      await acr.setAttributes({ repository, ...where }, { [attribute]: false })
      const name = { tag: 'v1', manifest: digest, repository }[place]
      const metadata = new AcrMetadataClient(onAcr().client)
      for (const change of ['write', 'delete'] as const) {
        const found = await findLock(metadata, repository, change, { tag: 'v1', digest })
        expect([change, found]).toEqual([
          change,
          blocks[attribute].includes(change) ? { on: place, name, attribute } : undefined
        ])
      }
    }
  )

  it('looks at the tag, then the manifest, then the repository', async () => {
    await acr.setAttributes({ repository, tag: 'v1' }, { deleteEnabled: false })
    await acr.setAttributes({ repository, digest }, { writeEnabled: false })
    await acr.setAttributes({ repository }, { writeEnabled: false })
    const metadata = new AcrMetadataClient(onAcr().client)
    const at = { tag: 'v1', digest }
    expect(await findLock(metadata, repository, 'delete', at)).toEqual({
      on: 'tag',
      name: 'v1',
      attribute: 'deleteEnabled'
    })
    expect(await findLock(metadata, repository, 'write', at)).toEqual({
      on: 'manifest',
      name: digest,
      attribute: 'writeEnabled'
    })
    expect(await findLock(metadata, repository, 'write', {})).toEqual({
      on: 'repository',
      name: repository,
      attribute: 'writeEnabled'
    })
  })

  it('a locked tag stops the delete of its manifest, but not a write of it nor the repository alone', async () => {
    await acr.setAttributes({ repository, tag: 'v1' }, { writeEnabled: false })
    const metadata = new AcrMetadataClient(onAcr().client)
    // ACR refuses to delete a manifest while one of its tags is locked.
    expect(await findLock(metadata, repository, 'delete', { digest })).toEqual({
      on: 'tag',
      name: 'v1',
      attribute: 'writeEnabled'
    })
    expect(await findLock(metadata, repository, 'write', { digest })).toBeUndefined()
    expect(await findLock(metadata, repository, 'delete', {})).toBeUndefined()
  })

  it('passes over what does not exist: a missing tag, a missing repository', async () => {
    await acr.setAttributes({ repository }, { deleteEnabled: false })
    const metadata = new AcrMetadataClient(onAcr().client)
    expect(await findLock(metadata, repository, 'delete', { tag: 'nope' })).toEqual({
      on: 'repository',
      name: repository,
      attribute: 'deleteEnabled'
    })
    expect(await findLock(metadata, 'find/none', 'delete', { tag: 'v1', digest })).toBeUndefined()
  })
})
