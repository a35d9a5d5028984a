// pull against artifacts a hostile registry could serve: titles and folder
// layer entries built byte by byte (test/rig/craft-artifact.ts) to climb out
// of `path`, to write through links, or to link to /etc/passwd. For every
// one the whole tree around `path` (its parent, with a sibling `outside`
// folder of files) and /etc/passwd are compared before and after the run:
// the pull must refuse with one error naming the entry, or skip what it does
// not unpack with a warning, and change nothing outside `path`.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runAction, type ActionRun } from '../../test/action/run-action.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import {
  artifactManifest,
  FILE_LAYER,
  fileLayer,
  folderLayer,
  plantManifest,
  pushBlob,
  pushCraftedArtifact,
  sha256,
  TITLE,
  type CraftedLayer,
  type TarEntrySpec
} from '../../test/rig/craft-artifact.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'
import { snapshotTree, type TreeEntry } from '../../test/rig/tree-snapshot.js'

const PASSWD = '/etc/passwd'
const SLOW = 120_000

let registry: Registry
let work: string
let passwd: Buffer
// A name only this run could create in /etc, should an entry ever get through a link to it.
const probe = `acr-action-e2e-probe-${process.pid}-${randomBytes(4).toString('hex')}`

beforeAll(async () => {
  registry = await startRegistry()
  work = await makeTempDir('e2e-pull-security')
  passwd = await readFile(PASSWD)
})

afterAll(async () => {
  await registry.stop()
  await removeTempDir(work)
})

// These tests run as root here: were a refusal ever missing, put the system back
// before the assertions below report it.
afterEach(async () => {
  if (!(await readFile(PASSWD)).equals(passwd)) await writeFile(PASSWD, passwd)
  await rm(join('/etc', probe), { recursive: true, force: true })
})

interface Case {
  /** The folder around `path`; `path` is its `dest`, beside `outside`. */
  root: string
  path: string
  outside: string
}

interface Outcome extends Case {
  run: ActionRun
  warnings: string[]
  /** What `path` holds after the run. */
  written: Record<string, TreeEntry>
}

let cases = 0

/** A fresh case folder: `outside` with files (and a link) that nothing may touch. */
async function newCase(): Promise<Case> {
  const root = join(work, `case-${++cases}`)
  const outside = join(root, 'outside')
  await mkdir(join(outside, 'sub'), { recursive: true })
  await writeFile(join(outside, 'keep.txt'), `keep ${randomBytes(8).toString('hex')}\n`)
  await writeFile(join(outside, 'sub', 'deep.txt'), 'deep\n')
  await symlink('keep.txt', join(outside, 'alias'))
  await writeFile(join(root, 'beside.txt'), 'beside\n')
  return { root, path: join(root, 'dest'), outside }
}

/** Pushes `layers` as a crafted artifact and pulls it into the case's `path` (see pullInto). */
async function pullCrafted(
  kase: Case,
  layers: CraftedLayer[],
  inputs: Record<string, string> = {}
): Promise<Outcome> {
  const repository = `security/case-${cases}`
  await pushCraftedArtifact(registry, repository, 'v1', layers)
  return pullInto(kase, repository, inputs)
}

/**
 * Pulls `repository:v1` into the case's `path`, with the tool cache beside
 * it, and checks that nothing else in the case folder, nor /etc, changed.
 */
async function pullInto(
  kase: Case,
  repository: string,
  inputs: Record<string, string> = {}
): Promise<Outcome> {
  const own = ['dest', 'tool-cache']
  const before = await snapshotTree(kase.root, own)
  const run = await runAction(
    {
      operation: 'pull',
      registry: registry.url,
      repository,
      tag: 'v1',
      path: kase.path,
      ...inputs
    },
    { RUNNER_TOOL_CACHE: join(kase.root, 'tool-cache') },
    SLOW
  )
  expect(await snapshotTree(kase.root, own)).toEqual(before)
  expect((await readFile(PASSWD)).equals(passwd)).toBe(true)
  expect(existsSync(join('/etc', probe))).toBe(false)
  const written = existsSync(kase.path) ? await snapshotTree(kase.path) : {}
  // Whatever the outcome, no temporary file is left behind.
  expect(Object.keys(written).filter(path => path.includes('acr-partial'))).toEqual([])
  const warnings = run.stdout
    .split('\n')
    .filter(line => line.startsWith('::warning'))
    .map(line => line.replace(/^::warning[^:]*::/, ''))
  return { ...kase, run, warnings, written }
}

/** The run failed with one error that names `entry`, quoted as the action quotes names. */
function expectRefused(outcome: Outcome, entry: string): string {
  expect(outcome.run.exitCode).toBe(1)
  expect(outcome.run.errors).toHaveLength(1)
  const error = outcome.run.errors[0] ?? ''
  expect(error).toContain(JSON.stringify(entry))
  return error
}

const site: TarEntrySpec = { name: 'site/', type: 'folder' }
const ok: TarEntrySpec = { name: 'site/ok.txt', content: 'fine\n' }

describe('pull refuses titles that lead outside path', () => {
  it.each([
    ['../x', () => '../x'],
    ['../outside/keep.txt', () => '../outside/keep.txt'],
    ['/abs', () => '/abs'],
    ['an absolute path into outside', (kase: Case) => join(kase.outside, 'abs.txt')],
    ['a/../../x', () => 'a/../../x'],
    ['..\\x', () => '..\\x']
  ] as Array<[string, (kase: Case) => string]>)(
    'refuses the title %s, writing nothing',
    async (_name, title) => {
      const kase = await newCase()
      const bad = title(kase)
      const outcome = await pullCrafted(kase, [
        fileLayer('fine.txt', 'fine\n'),
        fileLayer(bad, 'escaped\n')
      ])
      expectRefused(outcome, bad)
      expect(outcome.written).toEqual({})
      expect(existsSync('/abs')).toBe(false)
    }
  )

  it('refuses a title through a symlink planted in path beforehand', async () => {
    const kase = await newCase()
    await mkdir(kase.path)
    await symlink('../outside', join(kase.path, 'docs'))
    const outcome = await pullCrafted(kase, [fileLayer('docs/evil.txt', 'escaped\n')])
    expectRefused(outcome, 'docs/evil.txt')
    expect(Object.keys(outcome.written)).toEqual(['docs'])
  })

  it('replaces, never follows, a planted link where a title lands', async () => {
    const kase = await newCase()
    await mkdir(kase.path)
    await symlink('../outside/keep.txt', join(kase.path, 'victim.txt'))
    const outcome = await pullCrafted(kase, [fileLayer('victim.txt', 'pulled\n')])
    expect(outcome.run.errors).toEqual([])
    expect(outcome.run.exitCode).toBe(0)
    expect(outcome.written['victim.txt']?.kind).toBe('file')
    expect(await readFile(join(kase.path, 'victim.txt'), 'utf8')).toBe('pulled\n')
  })

  it('refuses two layers that land on the same path', async () => {
    const kase = await newCase()
    const outcome = await pullCrafted(kase, [
      fileLayer('same.txt', 'one\n'),
      fileLayer('./same.txt', 'two\n')
    ])
    expectRefused(outcome, './same.txt')
    expect(outcome.written).toEqual({})
  })

  it('skips a layer without a title with one line naming it', async () => {
    const kase = await newCase()
    const untitled = fileLayer(undefined, `no title ${randomBytes(4).toString('hex')}\n`)
    const outcome = await pullCrafted(kase, [untitled, fileLayer('kept.txt', 'kept\n')])
    expect(outcome.run.errors).toEqual([])
    const lines = outcome.run.stdout.split('\n').filter(line => /without a title/.test(line))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(sha256(untitled.bytes))
    expect(JSON.parse(outcome.run.outputs.files ?? '')).toEqual(['kept.txt'])
    expect(Object.keys(outcome.written)).toEqual(['kept.txt'])
  })
})

describe('pull refuses folder layers whose entries lead outside path', () => {
  it.each([
    ['a .. entry', () => [site, ok, { name: 'site/../../outside/evil.txt', content: 'x' }]],
    ['a leading .. entry', () => [{ name: '../outside/evil.txt', content: 'x' }]],
    [
      'a .. entry in a PAX long name',
      () => [site, { name: `site/${'d'.repeat(120)}/../../../outside/evil.txt`, content: 'x' }]
    ],
    [
      'a .. entry over an outside file',
      () => [site, { name: '../outside/keep.txt', content: 'x' }]
    ],
    [
      'an absolute entry',
      (kase: Case) => [site, { name: join(kase.outside, 'abs.txt'), content: 'x' }]
    ],
    [
      'a symlink to /etc, then an entry through it',
      () => [
        site,
        { name: 'site/etc', type: 'symlink', linkName: '/etc' },
        { name: `site/etc/${probe}`, content: 'x' }
      ]
    ],
    [
      'a relative symlink out, then an entry through it',
      () => [
        site,
        { name: 'site/out', type: 'symlink', linkName: '../../outside' },
        { name: 'site/out/evil.txt', content: 'x' }
      ]
    ],
    [
      'a hard link to /etc/passwd, then a write to it',
      () => [
        site,
        { name: 'site/pw', type: 'hardlink', linkName: PASSWD },
        { name: 'site/pw', content: 'root::0:0:root:/root:/bin/sh\n' }
      ]
    ],
    [
      'a relative hard link to /etc/passwd',
      () => [
        site,
        { name: 'site/pw', type: 'hardlink', linkName: '../../../../../../../../../etc/passwd' }
      ]
    ]
  ] as Array<[string, (kase: Case) => TarEntrySpec[]]>)(
    'refuses %s, writing nothing',
    async (_name, entries) => {
      const kase = await newCase()
      const tar = entries(kase)
      const outcome = await pullCrafted(kase, [folderLayer('site', tar)])
      // The first entry that could reach outside is the one to name.
      const unsafe = tar.find(entry => entry !== site && entry !== ok) as TarEntrySpec
      expectRefused(outcome, unsafe.name)
      expect(outcome.written).toEqual({})
    }
  )

  it('refuses an entry through a symlink an earlier layer wrote', async () => {
    const kase = await newCase()
    const outcome = await pullCrafted(kase, [
      folderLayer('site', [site, { name: 'site/up', type: 'symlink', linkName: '..' }]),
      folderLayer('more', [{ name: 'site/up/outside-bound.txt', content: 'x' }])
    ])
    expectRefused(outcome, 'site/up/outside-bound.txt')
    // The first layer was fine and stays; nothing went through its link.
    expect(outcome.written['site/up']).toMatchObject({ kind: 'link', target: '..' })
    expect(Object.keys(outcome.written).sort()).toEqual(['site', 'site/up'])
  })

  it('refuses a folder entry where a symlink was planted in path beforehand', async () => {
    const kase = await newCase()
    await mkdir(kase.path)
    await symlink('../outside', join(kase.path, 'site'))
    const outcome = await pullCrafted(kase, [
      folderLayer('site', [site, { name: 'site/evil.txt', content: 'x' }])
    ])
    expectRefused(outcome, 'site/')
    expect(Object.keys(outcome.written)).toEqual(['site'])
  })

  it('skips devices and FIFOs with a warning each, unpacking the rest', async () => {
    const kase = await newCase()
    const skipped = ['site/tty', 'site/disk', 'site/pipe']
    const outcome = await pullCrafted(kase, [
      folderLayer('site', [
        site,
        ok,
        { name: 'site/tty', type: 'char' },
        { name: 'site/disk', type: 'block' },
        { name: 'site/pipe', type: 'fifo' }
      ])
    ])
    expect(outcome.run.errors).toEqual([])
    expect(outcome.run.exitCode).toBe(0)
    expect(outcome.warnings).toHaveLength(skipped.length)
    for (const [i, entry] of skipped.entries()) expect(outcome.warnings[i]).toContain(entry)
    expect(Object.keys(outcome.written).sort()).toEqual(['site', 'site/ok.txt'])
    expect(JSON.parse(outcome.run.outputs.files ?? '')).toEqual(['site/ok.txt'])
  })
})

describe('pull replaces links it finds where it writes, never follows them', () => {
  it('writes a folder entry over a planted link to an outside file', async () => {
    const kase = await newCase()
    await mkdir(join(kase.path, 'site'), { recursive: true })
    await symlink('../../outside/keep.txt', join(kase.path, 'site', 'victim.txt'))
    const outcome = await pullCrafted(kase, [
      folderLayer('site', [site, { name: 'site/victim.txt', content: 'pulled\n' }])
    ])
    expect(outcome.run.errors).toEqual([])
    expect(outcome.written['site/victim.txt']?.kind).toBe('file')
    expect(await readFile(join(kase.path, 'site', 'victim.txt'), 'utf8')).toBe('pulled\n')
  })
})

describe('pull refuses descriptors whose digests are not digests', () => {
  // The registry refuses such manifests on a PUT; a hostile one serves them anyway.
  async function plantArtifact(digest: string): Promise<string> {
    const repository = `security/case-${cases}`
    await pushBlob(registry, repository, Buffer.from('{}'))
    const manifest = artifactManifest([
      { mediaType: FILE_LAYER, digest, size: 5, annotations: { [TITLE]: 'x.txt' } }
    ])
    await plantManifest(registry, repository, 'v1', manifest)
    return repository
  }

  it.each([
    ['files, whose cache entry is named by the digest', 'files', 'sha256:/../../escaped'],
    ['an OCI layout, whose blob path is named by the digest', 'oci-layout', '../../escaped:abc']
  ])('refuses a layer digest that climbs out, in %s', async (_name, format, digest) => {
    const kase = await newCase()
    const repository = await plantArtifact(digest)
    const outcome = await pullInto(kase, repository, { format })
    expect(outcome.run.exitCode).toBe(1)
    expect(outcome.run.errors).toHaveLength(1)
    expect(outcome.run.errors[0]).toContain(digest)
  })
})

describe('pull into an OCI layout goes through no link planted in path', () => {
  it.each([
    ['blobs', '../outside'],
    ['blobs/sha256', '../../outside']
  ])('leaves outside alone when %s is a link out', async (link, target) => {
    const kase = await newCase()
    const repository = `security/case-${cases}`
    await pushCraftedArtifact(registry, repository, 'v1', [fileLayer('x.txt', 'layout\n')])
    await mkdir(join(kase.path, link, '..'), { recursive: true })
    await symlink(target, join(kase.path, link))
    const outcome = await pullInto(kase, repository, { format: 'oci-layout' })
    // As a files pull refuses a title through a planted link.
    expect(outcome.run.exitCode).toBe(1)
    expect(outcome.run.errors).toHaveLength(1)
    expect(outcome.run.errors[0]).toContain(link)
  })
})
