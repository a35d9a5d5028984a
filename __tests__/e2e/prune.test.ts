// prune through the bundled action, signed in to the ACR emulator with OIDC.
// Repositories are filled by test/rig/prune-fixture.ts (small images,
// indexes, referrers, signatures, aged and locked through the emulator's
// controls); what the registry holds afterwards is read from its storage and,
// for a dry run, as a whole /acr/v1 snapshot, neither sharing code with the
// action. Every run that deletes must prove its kept images complete
// (`result.verified` equals `kept-count`).

import { formatBytes } from '../../src/report/progress.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { runActionOnAzure } from '../../test/action/on-azure.js'
import { type ActionRun } from '../../test/action/run-action.js'
import type { Fault, RateFault } from '../../test/emulators/acr/faults.js'
import { startAzure, type Azure } from '../../test/emulators/azure.js'
import { AcrReader, oidcSignIn } from '../../test/rig/acr-state.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { startFakeGithub } from '../../test/rig/fake-github.js'
import { ago, DAY, HOUR, PruneFixture, type Seeded } from '../../test/rig/prune-fixture.js'

const SLOW = 300_000

interface PlanEntry {
  repository: string
  digest: string
  tags: string[]
  time: string
  size: number
  decision: 'keep' | 'delete'
  reason: string
  children?: string[]
}

interface PruneRun {
  run: ActionRun
  result: Record<string, unknown> & { verified?: number; dryRun?: boolean }
  plan: PlanEntry[]
  counts: { deleted: number; kept: number; failed: number }
}

let azure: Azure
let fixture: PruneFixture
let work: string

beforeAll(async () => {
  azure = await startAzure()
  fixture = new PruneFixture(azure.acr)
  work = await makeTempDir('e2e-prune')
}, 60_000)

afterAll(async () => {
  await azure?.stop()
  await removeTempDir(work)
})

afterEach(() => azure.acr.faults.clear())

async function prune(
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Promise<PruneRun> {
  // The plan is written under RUNNER_TEMP: one that outlives the run.
  const run = await runActionOnAzure(
    azure,
    { operation: 'prune', ...inputs },
    { RUNNER_TEMP: work, ...env },
    SLOW
  )
  const planPath = run.outputs.plan
  const plan = planPath
    ? (JSON.parse(await readFile(planPath, 'utf8')) as { images: PlanEntry[] }).images
    : []
  return {
    run,
    result: JSON.parse(run.outputs.result ?? '{}') as PruneRun['result'],
    plan,
    counts: {
      deleted: Number(run.outputs['deleted-count']),
      kept: Number(run.outputs['kept-count']),
      failed: Number(run.outputs['failed-count'])
    }
  }
}

/** Asserts a clean run whose kept images were all re-read and found complete. */
function succeeded(pruned: PruneRun): PruneRun {
  expect(pruned.run.errors).toEqual([])
  expect(pruned.run.exitCode).toBe(0)
  expect(pruned.counts.failed).toBe(0)
  expect(pruned.result.verified).toBe(pruned.counts.kept)
  return pruned
}

/** Asserts the registry holds exactly `kept`: each with its tags and its children, nothing else. */
async function expectExactly(repository: string, kept: Seeded[]): Promise<void> {
  const held = await fixture.contents(repository)
  const digests = kept.flatMap(image => [image.digest, ...image.children])
  expect([...held.manifests].sort()).toEqual([...new Set(digests)].sort())
  const tags = Object.fromEntries(kept.flatMap(image => image.tags.map(tag => [tag, image.digest])))
  expect(held.tags).toEqual(tags)
}

function planned(pruned: PruneRun, image: Seeded): PlanEntry {
  const found = pruned.plan.find(p => p.digest === image.digest)
  if (!found) throw new Error(`${image.digest} is not in the plan`)
  return found
}

/** Both, the smaller digest first: a tie in time goes to it. */
const byDigest = (a: Seeded, b: Seeded): [Seeded, Seeded] => (a.digest < b.digest ? [a, b] : [b, a])

describe('keep-count over images, indexes and referrers', () => {
  const repository = 'keep/app'
  type WithImages = Seeded & { images: Seeded[] }
  let index: WithImages
  let oldIndex: WithImages
  let a: Seeded
  let b: Seeded
  let tieKept: Seeded
  let tieGone: Seeded
  let loose: Seeded
  let sbomA: Seeded
  let sigA: Seeded
  let pruned: PruneRun

  beforeAll(async () => {
    index = await fixture.index(repository, { tags: ['v5', 'latest'], time: ago(1 * DAY) })
    a = await fixture.image(repository, { tags: ['v4'], time: ago(2 * DAY) })
    // The same time, either side of keep-count: the smaller digest stays.
    const tie = ago(3 * DAY)
    ;[tieKept, tieGone] = byDigest(
      await fixture.image(repository, { tags: ['v3-x'], time: tie }),
      await fixture.image(repository, { tags: ['v3-y'], time: tie })
    )
    b = await fixture.image(repository, { tags: ['v2', 'v2.0'], time: ago(4 * DAY) })
    // An older index sharing one child with the kept one: only its own child goes with it.
    oldIndex = await fixture.index(repository, {
      tags: ['v1'],
      time: ago(5 * DAY),
      platforms: ['linux/s390x'],
      reuse: [index.images[0] as Seeded]
    })
    loose = await fixture.image(repository, { time: ago(6 * DAY) })
    // Referrers and signatures are the newest manifests of all: they must take no image's place.
    sbomA = await fixture.referrer(repository, a, { time: ago(HOUR) })
    await fixture.referrer(repository, b, { time: ago(HOUR) })
    sigA = await fixture.signature(repository, a, ago(HOUR))
    await fixture.signature(repository, b, ago(HOUR))
    pruned = await prune({ repository, 'keep-count': '3' })
  }, SLOW)

  it('keeps exactly the 3 newest images with all their tags, and their referrers', async () => {
    expect(pruned.run.errors).toEqual([])
    expect(pruned.run.exitCode).toBe(0)
    await expectExactly(repository, [index, ...index.images, a, tieKept, sbomA, sigA])
  })

  it('plans by rank: the tie broken by digest, the kept index and its children never counted twice', () => {
    for (const image of [index, a, tieKept]) expect(planned(pruned, image).decision).toBe('keep')
    for (const image of [tieGone, b, oldIndex, loose]) {
      expect(planned(pruned, image).decision).toBe('delete')
    }
    expect(planned(pruned, tieKept).reason).toContain('rank 3')
    // The deleted index takes its own child, not the one the kept index lists.
    expect(planned(pruned, oldIndex).children).toEqual([oldIndex.images[0]?.digest])
    for (const child of index.images) {
      expect(pruned.plan.some(p => p.digest === child.digest)).toBe(false)
    }
  })

  it('counts images only: no index child, referrer or signature; verified equals kept-count', () => {
    expect(pruned.counts).toEqual({ deleted: 4, kept: 3, failed: 0 })
    expect(pruned.result.verified).toBe(3)
  })
})

describe('locks', () => {
  const repository = 'locks/app'
  let newest: Seeded
  let tagLocked: Seeded
  let manifestLocked: Seeded
  let plain: Seeded

  beforeAll(async () => {
    newest = await fixture.image(repository, { tags: ['v4'], time: ago(DAY) })
    tagLocked = await fixture.image(repository, { tags: ['v3', 'v3.0'], time: ago(3 * DAY) })
    manifestLocked = await fixture.image(repository, { tags: ['v2'], time: ago(4 * DAY) })
    plain = await fixture.image(repository, { tags: ['v1'], time: ago(5 * DAY) })
    await fixture.lock(repository, { tag: 'v3.0' })
    await fixture.lock(repository, { digest: manifestLocked.digest }, { deleteEnabled: false })
  }, SLOW)

  it('keeps locked images, saying so, and deletes the rest', async () => {
    const pruned = succeeded(await prune({ repository, 'keep-count': '1' }))
    expect(planned(pruned, tagLocked)).toMatchObject({
      decision: 'keep',
      reason: expect.stringContaining('locked')
    })
    expect(planned(pruned, manifestLocked).reason).toContain('locked')
    expect(planned(pruned, plain).decision).toBe('delete')
    expect(pruned.counts).toMatchObject({ deleted: 1, kept: 3 })
    await expectExactly(repository, [newest, tagLocked, manifestLocked])
  })

  it('with include-locked deletes them too, each lock lifted just before its delete', async () => {
    azure.acr.clearRequests()
    const pruned = succeeded(
      await prune({ repository, 'keep-count': '1', 'include-locked': 'true' })
    )
    expect(pruned.counts).toMatchObject({ deleted: 2, kept: 1 })
    await expectExactly(repository, [newest])
    const changes = azure.acr
      .requests()
      .filter(r => r.method === 'PATCH' || r.method === 'DELETE')
      .map(r => `${r.method} ${decodeURIComponent(r.path)}`)
    // Images go in parallel: each lift comes after the plan and before its own delete.
    const unlockTag = `PATCH /acr/v1/${repository}/_tags/v3.0`
    const unlockManifest = `PATCH /acr/v1/${repository}/_manifests/${manifestLocked.digest}`
    const deleteOf = (image: Seeded) => `DELETE /v2/${repository}/manifests/${image.digest}`
    expect([...changes].sort()).toEqual(
      [unlockTag, unlockManifest, deleteOf(tagLocked), deleteOf(manifestLocked)].sort()
    )
    expect(changes.indexOf(unlockTag)).toBeLessThan(changes.indexOf(deleteOf(tagLocked)))
    expect(changes.indexOf(unlockManifest)).toBeLessThan(changes.indexOf(deleteOf(manifestLocked)))
  })
})

describe('rules that narrow what may go', () => {
  it('exclude-tags: images carrying a matching tag survive', async () => {
    const repository = 'rules/exclude'
    const newest = await fixture.image(repository, { tags: ['main'], time: ago(DAY) })
    const release = await fixture.image(repository, {
      tags: ['sha-1', 'release-1.0'],
      time: ago(30 * DAY)
    })
    const stable = await fixture.image(repository, { tags: ['stable'], time: ago(31 * DAY) })
    const old = await fixture.image(repository, { tags: ['prerelease-2'], time: ago(32 * DAY) })
    const pruned = succeeded(
      await prune({ repository, 'keep-count': '1', 'exclude-tags': 'release-*\nstable' })
    )
    expect(planned(pruned, release).reason).toContain('exclude-tags')
    expect(planned(pruned, old).decision).toBe('delete')
    await expectExactly(repository, [newest, release, stable])
  })

  it('older-than: new images stay, untagged ones too; only older ones go', async () => {
    const repository = 'rules/older'
    const newest = await fixture.image(repository, { tags: ['main'], time: ago(HOUR) })
    const newLoose = await fixture.image(repository, { time: ago(2 * DAY) })
    const newTagged = await fixture.image(repository, { tags: ['v2'], time: ago(3 * DAY) })
    const oldLoose = await fixture.image(repository, { time: ago(20 * DAY) })
    const oldTagged = await fixture.image(repository, { tags: ['v1'], time: ago(21 * DAY) })
    const pruned = succeeded(await prune({ repository, 'keep-count': '1', 'older-than': '7d' }))
    for (const image of [newLoose, newTagged]) {
      expect(planned(pruned, image)).toMatchObject({
        decision: 'keep',
        reason: 'newer than older-than'
      })
    }
    expect(pruned.counts).toMatchObject({ deleted: 2, kept: 3 })
    await expectExactly(repository, [newest, newLoose, newTagged])
    expect([oldLoose, oldTagged].every(i => planned(pruned, i).decision === 'delete')).toBe(true)
  })

  it('untagged: only deletes no tagged image, however old', async () => {
    const repository = 'rules/untagged-only'
    const newest = await fixture.image(repository, { tags: ['main'], time: ago(DAY) })
    const loose = await fixture.image(repository, { time: ago(10 * DAY) })
    const ancient = await fixture.image(repository, { tags: ['v0'], time: ago(900 * DAY) })
    const index = await fixture.index(repository, { time: ago(11 * DAY) })
    const pruned = succeeded(await prune({ repository, 'keep-count': '1', untagged: 'only' }))
    expect(planned(pruned, ancient).reason).toBe('tagged, and untagged: only')
    expect(pruned.counts).toMatchObject({ deleted: 2, kept: 2 })
    await expectExactly(repository, [newest, ancient])
    expect([loose, index].every(i => planned(pruned, i).decision === 'delete')).toBe(true)
  })

  it('protect-pr-tags: images tagged for an open pull request survive, on every page', async () => {
    const repository = 'rules/pull-requests'
    const token = 'ghs_fakeTokenForPullRequests0123456789'
    const github = await startFakeGithub({
      repository: 'owner/app',
      token,
      maxPerPage: 3,
      pulls: [
        ...[3, 7, 12, 15, 21].map(number => ({ number, state: 'open' as const })),
        { number: 4, state: 'closed' }
      ]
    })
    try {
      const newest = await fixture.image(repository, { tags: ['main'], time: ago(DAY) })
      const first = await fixture.image(repository, { tags: ['pr-3'], time: ago(10 * DAY) })
      const second = await fixture.image(repository, { tags: ['pr-21'], time: ago(11 * DAY) })
      const longer = await fixture.image(repository, { tags: ['pr-70'], time: ago(12 * DAY) })
      const closed = await fixture.image(repository, { tags: ['pr-4'], time: ago(13 * DAY) })
      const pruned = succeeded(
        await prune(
          {
            repository,
            'keep-count': '1',
            'protect-pr-tags': 'pr-{number}',
            'github-token': token
          },
          { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'owner/app' }
        )
      )
      expect(planned(pruned, first).reason).toBe('tag pr-3 belongs to open pull request #3')
      expect(planned(pruned, second).reason).toBe('tag pr-21 belongs to open pull request #21')
      expect([longer, closed].every(i => planned(pruned, i).decision === 'delete')).toBe(true)
      await expectExactly(repository, [newest, first, second])
      const requests = github.requests()
      expect(requests.map(r => [r.status, r.query.state, r.query.page ?? '1'])).toEqual([
        [200, 'open', '1'],
        [200, 'open', '2']
      ])
      expect(requests.every(r => r.authorization === `Bearer ${token}`)).toBe(true)
      expect(pruned.run.visible.split(token)).toHaveLength(1)
    } finally {
      await github.stop()
    }
  })
})

describe('dry-run', () => {
  it('changes nothing, and its plan lists every image with its facts, decision and reason', async () => {
    const repository = 'dry/app'
    const index = await fixture.index(repository, { tags: ['v3'], time: ago(DAY) })
    const a = await fixture.image(repository, { tags: ['v2', 'two'], time: ago(2 * DAY) })
    const b = await fixture.image(repository, { tags: ['v1'], time: ago(3 * DAY) })
    const loose = await fixture.image(repository, { time: ago(4 * DAY) })
    await fixture.lock(repository, { tag: 'v1' })
    const reader = new AcrReader(azure.acr, oidcSignIn(azure))
    const before = await reader.snapshot()
    const pruned = await prune({ repository, 'keep-count': '1', 'dry-run': 'true' })
    expect(pruned.run.errors).toEqual([])
    expect(pruned.run.exitCode).toBe(0)
    expect(await reader.snapshot()).toEqual(before)
    expect(pruned.counts).toEqual({ deleted: 0, kept: 2, failed: 0 })
    expect(pruned.result).toMatchObject({ dryRun: true, wouldDelete: 2 })
    const expected: Record<string, string> = {
      [index.digest]: 'keep',
      [a.digest]: 'delete',
      [b.digest]: 'keep',
      [loose.digest]: 'delete'
    }
    expect(pruned.plan.map(p => p.digest).sort()).toEqual(Object.keys(expected).sort())
    for (const image of [index, a, b, loose]) {
      const entry = planned(pruned, image)
      expect(entry).toEqual({
        repository,
        digest: image.digest,
        tags: image.tags,
        time: expect.any(String),
        size: image.size,
        decision: expected[image.digest],
        reason: expect.any(String),
        ...(entry.children ? { children: expect.any(Array) } : {})
      })
      expect(Date.parse(entry.time)).toBe(image.time.getTime())
      expect(entry.reason.length).toBeGreaterThan(0)
    }
    expect(planned(pruned, b).reason).toContain('locked')
    expect(planned(pruned, index).reason).toBe('among the 1 newest (rank 1)')
    expect(pruned.run.summary).toContain('Dry run')
    // What the planned deletions would free, estimated from their manifest sizes.
    expect(pruned.run.summary).toContain('Would free (est.)')
    expect(pruned.run.summary).toContain(`<td>${formatBytes(a.size + loose.size)}</td>`)
  })
})

describe('shards', () => {
  const names = Array.from({ length: 9 }, (_, i) => `team/s${i}`)
  const documentedShard = (name: string): number =>
    parseInt(createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8), 16) % 3

  beforeAll(async () => {
    for (const name of [...names, 'team/x/deep', 'other/s0']) {
      await fixture.series(name, 2, { newest: ago(DAY) })
    }
  }, SLOW)

  it('0/3, 1/3 and 2/3 together cover every repository of team/* exactly once, by the documented hash', async () => {
    const covered: string[] = []
    for (const shard of [0, 1, 2]) {
      const pruned = await prune({
        repository: 'team/*',
        'keep-count': '1',
        shard: `${shard}/3`,
        'dry-run': 'true'
      })
      expect(pruned.run.exitCode).toBe(0)
      const repositories = [...new Set(pruned.plan.map(p => p.repository))].sort()
      expect(repositories).toEqual(names.filter(n => documentedShard(n) === shard).sort())
      expect(repositories.length).toBeGreaterThan(0)
      expect(pruned.result.repositories).toBe(repositories.length)
      covered.push(...repositories)
    }
    expect(covered.sort()).toEqual([...names].sort())
  })
})

describe('max-deletions', () => {
  it('deletes the oldest up to the cap, warns naming max-deletions, and succeeds', async () => {
    const repository = 'cap/app'
    const images = await fixture.series(repository, 6, { newest: ago(DAY) })
    const pruned = succeeded(await prune({ repository, 'keep-count': '1', 'max-deletions': '2' }))
    const warnings = pruned.run.stdout.split('\n').filter(l => l.startsWith('::warning::'))
    expect(warnings.some(w => w.includes('max-deletions'))).toBe(true)
    expect(pruned.counts).toMatchObject({ deleted: 2, kept: 4 })
    expect(pruned.plan).toHaveLength(6)
    for (const held of images.slice(1, 4)) {
      expect(planned(pruned, held).reason).toContain('max-deletions')
    }
    await expectExactly(repository, images.slice(0, 4))
  })
})

describe('faults during a prune', () => {
  it('counts a 404 to a delete as already gone, and fails nothing', async () => {
    const repository = 'faults/gone'
    const images = await fixture.series(repository, 3, { newest: ago(DAY) })
    const raced = images[1] as Seeded
    azure.acr.faults.inject({
      method: 'DELETE',
      path: `/v2/${repository}/manifests/${raced.digest}`,
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] })
    })
    const pruned = succeeded(await prune({ repository, 'keep-count': '1' }))
    expect(azure.acr.faults.counts().injected['404']).toBe(1)
    expect(pruned.counts).toMatchObject({ deleted: 1, kept: 1 })
    expect(pruned.run.stdout).toContain(`${raced.digest}: gone`)
  })

  const anyApi = /^\/(v2|acr\/v1)\//
  const deletes = /^\/v2\/.*\/manifests\//
  interface Storm {
    name: string
    repository: string
    seed: number
    rates: RateFault[]
    /** Hit at least once whatever the seed draws. */
    scripted: Fault[]
  }
  const storms: Storm[] = [
    {
      name: '30% 429 with Retry-After',
      repository: 'storm/throttled',
      seed: 11,
      rates: [{ rate: 0.3, status: 429, headers: { 'retry-after': '1' }, path: anyApi }],
      scripted: [{ method: 'DELETE', path: deletes, status: 429, headers: { 'retry-after': '1' } }]
    },
    {
      name: '10% 5xx and connection resets',
      repository: 'storm/failing',
      seed: 12,
      rates: [
        { rate: 0.04, status: 500, path: anyApi },
        { rate: 0.03, status: 503, path: anyApi },
        { rate: 0.03, status: 'reset', path: anyApi }
      ],
      scripted: [
        { method: 'DELETE', path: deletes, status: 503 },
        { method: 'GET', path: /^\/acr\/v1\//, status: 'reset' },
        { method: 'GET', path: /^\/v2\/.*\/manifests\//, status: 500 }
      ]
    }
  ]
  // What the seed hits can move between runs (the next plan runs ahead of the deletes): at
  // most two faults in a row for one request keep the storm within what the retries outlast.
  it.each(storms.map(storm => [storm.name, storm] as const))(
    'ends in exactly the planned state despite %s',
    async (_name, storm) => {
      const index = await fixture.index(storm.repository, { tags: ['v4'], time: ago(DAY) })
      const images = await fixture.series(storm.repository, 4, {
        newest: ago(2 * DAY),
        tags: i => [`s${i}`]
      })
      await fixture.index(storm.repository, { tags: ['v0'], time: ago(9 * DAY) })
      azure.acr.faults.injectRates(storm.seed, storm.rates, { inARow: 2 })
      for (const fault of storm.scripted) azure.acr.faults.inject(fault)
      const pruned = await prune({
        repository: storm.repository,
        'keep-count': '2',
        concurrency: '1'
      })
      const { injected } = azure.acr.faults.counts()
      azure.acr.faults.clear()
      succeeded(pruned)
      for (const fault of [...storm.rates, ...storm.scripted]) {
        expect(injected[String(fault.status)]).toBeGreaterThan(0)
      }
      expect(pruned.counts).toMatchObject({ deleted: 4, kept: 2 })
      await expectExactly(storm.repository, [index, images[0] as Seeded])
    },
    SLOW
  )
})
