// prune's plan from hand-built snapshots, with a fixed clock: which images
// are images (not index children, not referrers), which of them go, and the
// reason given for each; what follows an image (children, signatures); the
// max-deletions cap; the shard hash; open-pull-request tags. Digests are
// sha256 of a name, computed here.

import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import type { CompiledPattern } from '../../src/inputs.js'
import {
  capDeletions,
  deletionOrder,
  planRepository,
  shardOf,
  type PlannedImage,
  type PruneRules
} from '../../src/operations/prune/plan.js'
import { pullRequestTags } from '../../src/operations/prune/pull-requests.js'
import type { RepositorySnapshot, SnapshotManifest } from '../../src/operations/prune/snapshot.js'
import { compileTagGlob } from '../../src/registry/reference.js'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DAY = 86_400_000
const NOW = Date.parse('2026-06-01T12:00:00.000Z')
const REPOSITORY = 'team/app'

const hex = (name: string): string => createHash('sha256').update(name).digest('hex')
const digestOf = (name: string): string => `sha256:${hex(name)}`
/** ACR's format, seven fractional digits. */
const daysAgo = (days: number): string =>
  new Date(NOW - days * DAY).toISOString().replace(/Z$/, '0000Z')

interface Spec {
  tags?: string[]
  children?: string[]
  subject?: string
  locked?: string
  size?: number
  mediaType?: string
}

function manifest(name: string, age: number, spec: Spec = {}): SnapshotManifest {
  return {
    digest: digestOf(name),
    mediaType: spec.mediaType ?? (spec.children ? OCI_INDEX : OCI_MANIFEST),
    tags: [...(spec.tags ?? [])].sort(),
    lastUpdateTime: daysAgo(age),
    size: spec.size ?? 1000 + name.length,
    children: (spec.children ?? []).map(digestOf),
    ...(spec.subject ? { subject: digestOf(spec.subject) } : {}),
    ...(spec.locked ? { locked: spec.locked } : {})
  }
}

function snapshot(...manifests: SnapshotManifest[]): RepositorySnapshot {
  return { repository: REPOSITORY, manifests: new Map(manifests.map(m => [m.digest, m])) }
}

function rules(overrides: Partial<PruneRules> = {}): PruneRules {
  return { keepCount: 1, excludeTags: [], untagged: 'allow', includeLocked: false, ...overrides }
}

const globs = (...patterns: string[]): CompiledPattern[] =>
  patterns.map(source => ({ source, regex: compileTagGlob(source) }))
const pattern = (source: string): CompiledPattern => ({
  source,
  regex: new RegExp(`^(?:${source})$`)
})

function plan(
  repository: RepositorySnapshot,
  given: PruneRules,
  protectedTags: (tag: string) => string | undefined = () => undefined
): PlannedImage[] {
  return planRepository(repository, given, { now: NOW, protectedTags })
}

/** The plan entry of the manifest made from `name`. */
function entry(planned: PlannedImage[], name: string): PlannedImage {
  const found = planned.find(p => p.digest === digestOf(name))
  if (!found) throw new Error(`${name} is not in the plan`)
  return found
}

const decisionsOf = (planned: PlannedImage[], names: string[]): Record<string, string> =>
  Object.fromEntries(names.map(name => [name, entry(planned, name).decision]))

describe('planRepository: keep-count', () => {
  it('keeps exactly the N newest images with all their tags, newest first', () => {
    const repository = snapshot(
      manifest('c', 3, { tags: ['v1'] }),
      manifest('a', 1, { tags: ['v3', 'latest'] }),
      manifest('d', 4),
      manifest('b', 2, { tags: ['v2', 'stable'] })
    )
    const planned = plan(repository, rules({ keepCount: 2 }))
    expect(planned.map(p => p.digest)).toEqual(['a', 'b', 'c', 'd'].map(digestOf))
    expect(decisionsOf(planned, ['a', 'b', 'c', 'd'])).toEqual({
      a: 'keep',
      b: 'keep',
      c: 'delete',
      d: 'delete'
    })
    expect(entry(planned, 'a')).toEqual({
      repository: REPOSITORY,
      digest: digestOf('a'),
      tags: ['latest', 'v3'],
      time: daysAgo(1),
      size: 1001,
      decision: 'keep',
      reason: 'among the 2 newest (rank 1)'
    })
    expect(entry(planned, 'b').reason).toBe('among the 2 newest (rank 2)')
    expect(entry(planned, 'c').reason).toBe('rank 3, beyond keep-count 2')
    expect(entry(planned, 'd').reason).toBe('rank 4, beyond keep-count 2; untagged')
  })

  it('breaks a tie in time by digest: the smaller digest ranks first', () => {
    const [low, high] = ['tie-x', 'tie-y'].sort((x, y) => (digestOf(x) < digestOf(y) ? -1 : 1))
    const repository = snapshot(
      manifest(high as string, 2, { tags: ['h'] }),
      manifest(low as string, 2, { tags: ['l'] }),
      manifest('older', 3, { tags: ['o'] })
    )
    const planned = plan(repository, rules({ keepCount: 1 }))
    expect(planned.map(p => p.digest)).toEqual(
      [low as string, high as string, 'older'].map(digestOf)
    )
    expect(entry(planned, low as string).decision).toBe('keep')
    expect(entry(planned, high as string).decision).toBe('delete')
  })

  it('counts the N newest over all images, not over the ones that may go', () => {
    // untagged: only makes the two newest (tagged) ones no candidates; they still fill keep-count.
    const repository = snapshot(
      manifest('a', 1, { tags: ['v2'] }),
      manifest('b', 2, { tags: ['v1'] }),
      manifest('c', 3),
      manifest('d', 4)
    )
    const planned = plan(repository, rules({ keepCount: 2, untagged: 'only' }))
    expect(decisionsOf(planned, ['a', 'b', 'c', 'd'])).toEqual({
      a: 'keep',
      b: 'keep',
      c: 'delete',
      d: 'delete'
    })
  })

  it('with keep-count 0 lets every image go that nothing else protects', () => {
    const planned = plan(snapshot(manifest('a', 1, { tags: ['v1'] })), rules({ keepCount: 0 }))
    expect(entry(planned, 'a').decision).toBe('delete')
  })
})

describe('planRepository: what narrows or protects', () => {
  it('older-than protects new images, tagged and untagged alike; exactly that old may go', () => {
    const repository = snapshot(
      manifest('newest', 0.5, { tags: ['v9'] }),
      manifest('new-untagged', 1),
      manifest('new-tagged', 2, { tags: ['v8'] }),
      manifest('boundary', 7),
      manifest('old', 8, { tags: ['v1'] })
    )
    const planned = plan(repository, rules({ keepCount: 1, olderThanMs: 7 * DAY }))
    for (const name of ['new-untagged', 'new-tagged']) {
      expect(entry(planned, name)).toMatchObject({
        decision: 'keep',
        reason: 'newer than older-than'
      })
    }
    expect(entry(planned, 'boundary').decision).toBe('delete')
    expect(entry(planned, 'old')).toMatchObject({
      decision: 'delete',
      reason: 'rank 5, beyond keep-count 1; older than older-than'
    })
  })

  it('untagged: false keeps untagged images; tagged ones may still go', () => {
    const repository = snapshot(
      manifest('a', 1, { tags: ['v2'] }),
      manifest('loose', 2),
      manifest('b', 3, { tags: ['v1'] })
    )
    const planned = plan(repository, rules({ untagged: 'keep' }))
    expect(entry(planned, 'loose')).toMatchObject({
      decision: 'keep',
      reason: 'untagged, and untagged: false'
    })
    expect(entry(planned, 'b').decision).toBe('delete')
  })

  it('untagged: only deletes no tagged image, however old', () => {
    const repository = snapshot(
      manifest('a', 1, { tags: ['v3'] }),
      manifest('old-tagged', 400, { tags: ['v1'] }),
      manifest('loose', 2)
    )
    const planned = plan(repository, rules({ untagged: 'only' }))
    expect(entry(planned, 'old-tagged')).toMatchObject({
      decision: 'keep',
      reason: 'tagged, and untagged: only'
    })
    expect(entry(planned, 'loose')).toMatchObject({
      decision: 'delete',
      reason: 'rank 2, beyond keep-count 1; untagged'
    })
  })

  it('tag-pattern: only an image with a whole matching tag may go; untagged ones as untagged says', () => {
    const repository = snapshot(
      manifest('newest', 0, { tags: ['main'] }),
      manifest('pr', 1, { tags: ['pr-1'] }),
      manifest('both', 2, { tags: ['v2', 'pr-2'] }),
      manifest('release', 3, { tags: ['v1'] }),
      manifest('embedded', 4, { tags: ['xpr-3'] }),
      manifest('loose', 5)
    )
    const allow = plan(repository, rules({ tagPattern: pattern('pr-\\d+') }))
    expect(entry(allow, 'pr')).toMatchObject({
      decision: 'delete',
      reason: 'rank 2, beyond keep-count 1; a tag matches tag-pattern'
    })
    expect(entry(allow, 'both').decision).toBe('delete')
    for (const name of ['release', 'embedded']) {
      expect(entry(allow, name)).toMatchObject({
        decision: 'keep',
        reason: 'no tag matches tag-pattern'
      })
    }
    expect(entry(allow, 'loose').decision).toBe('delete')
    const keep = plan(repository, rules({ tagPattern: pattern('pr-\\d+'), untagged: 'keep' }))
    expect(entry(keep, 'loose').decision).toBe('keep')
  })

  it('exclude-tags: an image carrying a tag that matches a glob is kept, whatever its other tags', () => {
    const repository = snapshot(
      manifest('newest', 0, { tags: ['main'] }),
      manifest('release', 2, { tags: ['sha-1', 'release-1.0'] }),
      manifest('question', 3, { tags: ['v7'] }),
      manifest('unanchored', 4, { tags: ['prerelease-1'] }),
      manifest('other', 5, { tags: ['v10'] })
    )
    const planned = plan(repository, rules({ excludeTags: globs('release-*', 'v?') }))
    expect(entry(planned, 'release')).toMatchObject({
      decision: 'keep',
      reason: 'tag release-1.0 matches exclude-tags'
    })
    expect(entry(planned, 'question')).toMatchObject({
      decision: 'keep',
      reason: 'tag v7 matches exclude-tags'
    })
    expect(entry(planned, 'unanchored').decision).toBe('delete')
    expect(entry(planned, 'other').decision).toBe('delete')
  })

  it('keeps an image with a tag of an open pull request, and names the pull request', () => {
    const repository = snapshot(
      manifest('newest', 0, { tags: ['main'] }),
      manifest('open', 1, { tags: ['pr-7'] }),
      manifest('prefix', 2, { tags: ['pr-70'] }),
      manifest('closed', 3, { tags: ['pr-8'] }),
      manifest('second', 4, { tags: ['sha-1', 'pr-12'] })
    )
    const planned = plan(repository, rules(), pullRequestTags('pr-{number}', [7, 12]))
    expect(entry(planned, 'open')).toMatchObject({
      decision: 'keep',
      reason: 'tag pr-7 belongs to open pull request #7'
    })
    expect(entry(planned, 'second').reason).toBe('tag pr-12 belongs to open pull request #12')
    expect(entry(planned, 'prefix').decision).toBe('delete')
    expect(entry(planned, 'closed').decision).toBe('delete')
  })

  it('keeps a locked image, unless include-locked: then it goes and the lock is on record', () => {
    const lock = 'tag v1 writeEnabled: false'
    const repository = snapshot(
      manifest('newest', 0, { tags: ['main'], locked: 'manifest deleteEnabled: false' }),
      manifest('locked', 3, { tags: ['v1'], locked: lock })
    )
    const kept = plan(repository, rules())
    expect(entry(kept, 'locked')).toMatchObject({ decision: 'keep', reason: `locked (${lock})` })
    expect(entry(kept, 'newest').reason).toBe('among the 1 newest (rank 1)')
    const included = plan(repository, rules({ includeLocked: true }))
    expect(entry(included, 'locked')).toMatchObject({
      decision: 'delete',
      locked: lock,
      reason: `rank 2, beyond keep-count 1; locked (${lock}), include-locked`
    })
    expect(entry(included, 'newest').decision).toBe('keep')
  })
})

describe('planRepository: indexes and their children', () => {
  it('does not count the children of an index as images, however new they are', () => {
    const repository = snapshot(
      manifest('index', 1, { tags: ['v2'], children: ['amd64', 'arm64'] }),
      manifest('amd64', 0),
      manifest('arm64', 0),
      manifest('a', 2, { tags: ['v1'] }),
      manifest('b', 3, { tags: ['v0'] })
    )
    const planned = plan(repository, rules({ keepCount: 2 }))
    expect(planned.map(p => p.digest)).toEqual(['index', 'a', 'b'].map(digestOf))
    expect(decisionsOf(planned, ['index', 'a', 'b'])).toEqual({
      index: 'keep',
      a: 'keep',
      b: 'delete'
    })
    expect(entry(planned, 'index').children).toBeUndefined()
  })

  it('deletes with an index the children (nested too) that no kept index lists', () => {
    const repository = snapshot(
      manifest('kept', 1, { tags: ['v2'], children: ['kept-amd64', 'shared'] }),
      manifest('gone', 5, { tags: ['v1'], children: ['shared', 'gone-amd64', 'nested'] }),
      manifest('nested', 5, { children: ['nested-arm64', 'shared'] }),
      manifest('kept-amd64', 1),
      manifest('shared', 5),
      manifest('gone-amd64', 5),
      manifest('nested-arm64', 5)
    )
    const planned = plan(repository, rules())
    expect(planned.map(p => p.digest)).toEqual(['kept', 'gone'].map(digestOf))
    expect(entry(planned, 'gone').decision).toBe('delete')
    expect([...(entry(planned, 'gone').children ?? [])].sort()).toEqual(
      ['gone-amd64', 'nested', 'nested-arm64'].map(digestOf).sort()
    )
    expect(entry(planned, 'kept').children).toBeUndefined()
  })

  it('does not delete, with its index, a child that carries a tag exclude-tags protects', () => {
    const repository = snapshot(
      manifest('newest', 0, { tags: ['main'] }),
      manifest('gone', 5, { tags: ['v1'], children: ['release-amd64', 'plain-arm64'] }),
      manifest('release-amd64', 5, { tags: ['release-1.0-amd64'] }),
      manifest('plain-arm64', 5)
    )
    const planned = plan(repository, rules({ excludeTags: globs('release-*') }))
    expect(entry(planned, 'gone').decision).toBe('delete')
    expect(entry(planned, 'gone').children ?? []).not.toContain(digestOf('release-amd64'))
  })

  it('with untagged: only, does not delete a tagged child along with its untagged index', () => {
    const repository = snapshot(
      manifest('newest', 0, { tags: ['main'] }),
      manifest('old-index', 5, { children: ['tagged-amd64', 'loose-arm64'] }),
      manifest('tagged-amd64', 5, { tags: ['v1-amd64'] }),
      manifest('loose-arm64', 5)
    )
    const planned = plan(repository, rules({ untagged: 'only' }))
    expect(entry(planned, 'old-index').decision).toBe('delete')
    expect(entry(planned, 'old-index').children ?? []).not.toContain(digestOf('tagged-amd64'))
  })
})

describe('planRepository: referrers and signatures', () => {
  it('never ranks an OCI referrer as an image, nor lists it: the registry deletes it with its subject', () => {
    const repository = snapshot(
      manifest('subject', 2, { tags: ['v2'] }),
      manifest('sbom', 0, { subject: 'subject' }),
      manifest('older', 3, { tags: ['v1'] }),
      manifest('older-sbom', 0, { subject: 'older' })
    )
    const planned = plan(repository, rules())
    expect(planned.map(p => p.digest)).toEqual(['subject', 'older'].map(digestOf))
    expect(decisionsOf(planned, ['subject', 'older'])).toEqual({
      subject: 'keep',
      older: 'delete'
    })
  })

  it('lets a cosign-style signature follow its subject, kept or deleted, and not count as an image', () => {
    const sig = (subject: string): string => `sha256-${hex(subject)}.sig`
    const repository = snapshot(
      manifest('kept', 2, { tags: ['v2'] }),
      manifest('kept-sig', 0, { tags: [sig('kept')] }),
      manifest('gone', 3, { tags: ['v1'] }),
      manifest('gone-sig', 0, { tags: [sig('gone')] }),
      manifest('gone-att', 0, { tags: [`sha256-${hex('gone')}.att`] }),
      manifest('stranger-sig', 9, { tags: [sig('elsewhere')] })
    )
    const planned = plan(repository, rules())
    // Ranked without the signatures, which are all newer than the images.
    expect(entry(planned, 'kept').reason).toBe('among the 1 newest (rank 1)')
    expect(entry(planned, 'gone').reason).toBe('rank 2, beyond keep-count 1')
    expect(entry(planned, 'kept-sig')).toMatchObject({
      decision: 'keep',
      belongsTo: digestOf('kept')
    })
    expect(entry(planned, 'gone-sig')).toMatchObject({
      decision: 'delete',
      reason: `belongs to ${digestOf('gone')}, which is deleted`,
      belongsTo: digestOf('gone')
    })
    expect(entry(planned, 'gone-att').decision).toBe('delete')
    expect(entry(planned, 'stranger-sig')).toMatchObject({
      decision: 'keep',
      reason: `belongs to ${digestOf('elsewhere')}, which is kept or not in this repository`
    })
  })

  it('ranks as an image a manifest with a signature-like tag beside an ordinary one', () => {
    const repository = snapshot(
      manifest('target', 2, { tags: ['v1'] }),
      manifest('mixed', 1, { tags: [`sha256-${hex('target')}.sig`, 'latest'] })
    )
    const planned = plan(repository, rules())
    expect(entry(planned, 'mixed').reason).toBe('among the 1 newest (rank 1)')
    expect(entry(planned, 'target').decision).toBe('delete')
  })
})

describe('capDeletions', () => {
  function deletable(repository: string, name: string, age: number): PlannedImage {
    return {
      repository,
      digest: digestOf(name),
      tags: [],
      time: daysAgo(age),
      size: 1,
      decision: 'delete',
      reason: 'rank 9, beyond keep-count 1',
      children: [digestOf(`${name}-child`)]
    }
  }

  it('lets the oldest go first, across repositories, and holds the rest back with a reason', () => {
    const kept: PlannedImage = { ...deletable('team/a', 'kept', 90), decision: 'keep' }
    const images = [
      deletable('team/a', 'a-new', 1),
      deletable('team/b', 'b-old', 30),
      kept,
      deletable('team/a', 'a-old', 20),
      deletable('team/b', 'b-new', 2)
    ]
    expect(capDeletions(images, 2)).toBe(2)
    const byName = (name: string) => images.find(i => i.digest === digestOf(name))
    expect(byName('b-old')?.decision).toBe('delete')
    expect(byName('a-old')?.decision).toBe('delete')
    expect(byName('a-old')?.children).toEqual([digestOf('a-old-child')])
    for (const name of ['a-new', 'b-new']) {
      expect(byName(name)).toMatchObject({
        decision: 'keep',
        reason: 'held back: max-deletions (2) reached; the oldest went first'
      })
      expect(byName(name)?.children).toBeUndefined()
    }
    expect(kept).toMatchObject({ decision: 'keep', reason: 'rank 9, beyond keep-count 1' })
  })

  it('breaks a tie in time by digest, the smaller going first', () => {
    const [low, high] = ['cap-x', 'cap-y'].sort((x, y) => (digestOf(x) < digestOf(y) ? -1 : 1))
    const images = [deletable('r', high as string, 5), deletable('r', low as string, 5)]
    expect(capDeletions(images, 1)).toBe(1)
    expect(images.find(i => i.digest === digestOf(low as string))?.decision).toBe('delete')
    expect(images.find(i => i.digest === digestOf(high as string))?.decision).toBe('keep')
  })

  it('changes nothing when the deletions fit', () => {
    const images = [deletable('r', 'one', 1), deletable('r', 'two', 2)]
    const before = structuredClone(images)
    expect(capDeletions(images, 2)).toBe(0)
    expect(images).toEqual(before)
  })
})

describe('deletionOrder', () => {
  const image = (repository: string, name: string, age: number): PlannedImage => ({
    repository,
    digest: digestOf(name),
    tags: [],
    time: daysAgo(age),
    size: 1,
    decision: 'delete',
    reason: 'rank 9, beyond keep-count 1'
  })

  it('takes a repository at a time, the one with the oldest deletion first, oldest first in each', () => {
    const order = deletionOrder([
      image('team/a', 'a-new', 1),
      image('team/b', 'b-old', 30),
      image('team/c', 'c-only', 25),
      image('team/a', 'a-old', 20),
      image('team/b', 'b-new', 2)
    ])
    expect(order.map(i => i.digest)).toEqual(
      ['b-old', 'b-new', 'c-only', 'a-old', 'a-new'].map(digestOf)
    )
  })

  it('keeps every deletion and leaves its input as it was', () => {
    const input = [image('r', 'one', 1), image('s', 'two', 2), image('r', 'three', 3)]
    const before = structuredClone(input)
    expect(deletionOrder(input)).toHaveLength(3)
    expect(input).toEqual(before)
  })
})

describe('shardOf', () => {
  const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()
  const names = Array.from({ length: 40 }, (_, i) => `team/service-${i}`).concat([
    'a',
    'library/hello-world',
    'deep/ly/nested/repo'
  ])

  it('is the first 4 bytes of sha256(name), big-endian, modulo n', () => {
    for (const count of [1, 2, 3, 7, 16]) {
      for (const name of names) {
        // The documented hash, read from the hex form rather than a buffer.
        const expected = parseInt(hex(name).slice(0, 8), 16) % count
        expect(shardOf(name, count, sha256)).toBe(expected)
      }
    }
  })

  it('puts every repository in exactly one shard, and uses them all', () => {
    const shards = names.map(name => shardOf(name, 3, sha256))
    expect(shards.every(s => Number.isInteger(s) && s >= 0 && s < 3)).toBe(true)
    expect(new Set(shards)).toEqual(new Set([0, 1, 2]))
  })
})

describe('pullRequestTags', () => {
  it('matches the whole tag, for open pull requests only', () => {
    const open = pullRequestTags('pr-{number}', [7, 12])
    expect(open('pr-7')).toBe('#7')
    expect(open('pr-12')).toBe('#12')
    expect(open('pr-70')).toBeUndefined()
    expect(open('pr-7-x')).toBeUndefined()
    expect(open('xpr-7')).toBeUndefined()
    expect(open('pr-8')).toBeUndefined()
  })

  it('takes * as a run of tag characters and everything else literally', () => {
    const open = pullRequestTags('pr.{number}-*', [3])
    expect(open('pr.3-abc1234')).toBe('#3')
    expect(open('pr.3-')).toBe('#3')
    expect(open('prx3-abc')).toBeUndefined()
    expect(open('pr.3')).toBeUndefined()
  })

  it('needs every {number} to be the same pull request', () => {
    const open = pullRequestTags('{number}-of-{number}', [4, 5])
    expect(open('4-of-4')).toBe('#4')
    expect(open('4-of-5')).toBeUndefined()
  })
})
