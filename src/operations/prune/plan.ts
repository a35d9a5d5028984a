// prune's decisions, made from a read-only snapshot of a repository and
// nothing else: no clock but the one given, no request. The unit is the image
// (a top-level manifest), never the tag. An image may go only when every rule
// lets it; anything that protects it wins, and the plan says which.

import type { PruneInputs } from '../../inputs.js'
import type { RepositorySnapshot, SnapshotManifest } from './snapshot.js'

export type Decision = 'keep' | 'delete'

export interface PlannedImage {
  repository: string
  digest: string
  tags: string[]
  time: string
  size: number
  decision: Decision
  reason: string
  /** For an index that goes: the children nothing kept refers to, deleted after it. */
  children?: string[]
  /** What locked it when the plan was made (with include-locked, lifted just before its delete). */
  locked?: string
  /** A signature or SBOM tagged after its subject: it follows that image and is not counted as one. */
  belongsTo?: string
}

export type PruneRules = Pick<
  PruneInputs,
  'keepCount' | 'olderThanMs' | 'tagPattern' | 'excludeTags' | 'untagged' | 'includeLocked'
>

export interface PlanContext {
  now: number
  /** Tags of open pull requests that must stay, by tag; the value names the pull request. */
  protectedTags: (tag: string) => string | undefined
}

/** Cosign's `sha256-<hex>.sig|.att|.sbom` and the referrers tag schema's `sha256-<hex>`. */
const subjectTag = /^(sha256|sha512)-([a-f0-9]{64}|[a-f0-9]{128})(?:\.(sig|att|sbom))?$/

export function planRepository(
  snapshot: RepositorySnapshot,
  rules: PruneRules,
  context: PlanContext
): PlannedImage[] {
  const { manifests, repository } = snapshot
  const children = new Set([...manifests.values()].flatMap(m => m.children))
  const isArtifactOf = (m: SnapshotManifest): string | undefined =>
    m.subject ?? subjectOfTags(m.tags)
  const images = [...manifests.values()]
    .filter(m => !children.has(m.digest) && isArtifactOf(m) === undefined)
    .sort(newestFirst)

  const planned = images.map((image, rank): PlannedImage => {
    const reason = protection(image, rank, rules, context)
    return {
      repository,
      digest: image.digest,
      tags: image.tags,
      time: image.lastUpdateTime,
      size: image.size,
      decision: reason === undefined ? 'delete' : 'keep',
      reason: reason ?? deletionReason(image, rank, rules),
      ...(image.locked ? { locked: image.locked } : {})
    }
  })

  // Artifacts that belong to an image (signatures, SBOMs) follow it; only
  // tag-schema ones need a delete of their own: ACR deletes OCI referrers itself.
  const decided = new Map(planned.map(p => [p.digest, p.decision]))
  for (const m of manifests.values()) {
    const subject = isArtifactOf(m)
    if (subject === undefined || children.has(m.digest) || m.subject !== undefined) continue
    const goes = decided.get(subject) === 'delete'
    planned.push({
      repository,
      digest: m.digest,
      tags: m.tags,
      time: m.lastUpdateTime,
      size: m.size,
      decision: goes ? 'delete' : 'keep',
      reason: goes
        ? `belongs to ${subject}, which is deleted`
        : `belongs to ${subject}, which is kept or not in this repository`,
      belongsTo: subject
    })
  }

  // An index that goes takes the children no kept index still lists, recursively;
  // a child with tags of its own is someone's image too, and stays with what it lists.
  const kept = planned.filter(p => p.decision === 'keep').map(p => p.digest)
  const tagged = [...manifests.values()].filter(m => m.tags.length > 0).map(m => m.digest)
  const needed = reachable([...kept, ...tagged.filter(d => children.has(d))], manifests)
  for (const image of planned) {
    if (image.decision !== 'delete') continue
    const owned = [...reachable([image.digest], manifests)].filter(
      d => d !== image.digest && !needed.has(d)
    )
    if (owned.length > 0) image.children = owned
  }
  return planned
}

/** Caps the deletions at `max`, the oldest first; returns how many were held back. */
export function capDeletions(images: PlannedImage[], max: number): number {
  const deletions = images.filter(i => i.decision === 'delete').sort(oldestFirst)
  for (const image of deletions.slice(max)) {
    image.decision = 'keep'
    image.reason = `held back: max-deletions (${max}) reached; the oldest went first`
    delete image.children
  }
  return Math.max(0, deletions.length - max)
}

/** The order deletions go in: oldest first, so a cap or a stop keeps the newest. */
export function oldestFirst(a: PlannedImage, b: PlannedImage): number {
  return a.time < b.time
    ? -1
    : a.time > b.time
      ? 1
      : a.digest < b.digest
        ? -1
        : a.digest > b.digest
          ? 1
          : 0
}

/**
 * The order deletions are carried out in: a repository at a time, the
 * repository with the oldest deletion first, and oldest first within each.
 * Each repository is listed again just before its deletes; taking them
 * together keeps that one listing fresh for all of them, where interleaving
 * every repository by age would list each again and again.
 */
export function deletionOrder(deletions: PlannedImage[]): PlannedImage[] {
  const byRepository = new Map<string, PlannedImage[]>()
  for (const image of [...deletions].sort(oldestFirst)) {
    const group = byRepository.get(image.repository) ?? []
    group.push(image)
    byRepository.set(image.repository, group)
  }
  // A Map keeps insertion order: the repository of the oldest deletion came first.
  return [...byRepository.values()].flat()
}

function newestFirst(a: SnapshotManifest, b: SnapshotManifest): number {
  if (a.lastUpdateTime !== b.lastUpdateTime) return a.lastUpdateTime > b.lastUpdateTime ? -1 : 1
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0
}

function protection(
  image: SnapshotManifest,
  rank: number,
  rules: PruneRules,
  context: PlanContext
): string | undefined {
  if (rank < rules.keepCount) return `among the ${rules.keepCount} newest (rank ${rank + 1})`
  const excluded = image.tags.find(t => rules.excludeTags.some(p => p.regex.test(t)))
  if (excluded !== undefined) return `tag ${excluded} matches exclude-tags`
  for (const tag of image.tags) {
    const pull = context.protectedTags(tag)
    if (pull !== undefined) return `tag ${tag} belongs to open pull request ${pull}`
  }
  if (!rules.includeLocked && image.locked) return `locked (${image.locked})`
  if (
    rules.olderThanMs !== undefined &&
    Date.parse(image.lastUpdateTime) > context.now - rules.olderThanMs
  ) {
    return 'newer than older-than'
  }
  const untagged = image.tags.length === 0
  if (untagged && rules.untagged === 'keep') return 'untagged, and untagged: false'
  if (!untagged && rules.untagged === 'only') return 'tagged, and untagged: only'
  if (rules.tagPattern !== undefined) {
    const matches = image.tags.some(t => rules.tagPattern?.regex.test(t))
    // Untagged images were let through above: untagged: true or only says they may go.
    if (!untagged && !matches) return 'no tag matches tag-pattern'
  }
  return undefined
}

function deletionReason(image: SnapshotManifest, rank: number, rules: PruneRules): string {
  const parts = [`rank ${rank + 1}, beyond keep-count ${rules.keepCount}`]
  if (rules.olderThanMs !== undefined) parts.push('older than older-than')
  if (image.tags.length === 0) parts.push('untagged')
  else if (rules.tagPattern) parts.push('a tag matches tag-pattern')
  if (image.locked) parts.push(`locked (${image.locked}), include-locked`)
  return parts.join('; ')
}

/** The subject a manifest belongs to by its tags alone (cosign, tag schema), if every tag says so. */
export function subjectOfTags(tags: string[]): string | undefined {
  if (tags.length === 0) return undefined
  const subjects = tags.map(t => subjectTag.exec(t))
  if (subjects.some(m => m === null)) return undefined
  const [, algorithm, hex] = subjects[0] as RegExpExecArray
  return `${algorithm}:${hex}`
}

function reachable(roots: string[], manifests: Map<string, SnapshotManifest>): Set<string> {
  const seen = new Set<string>()
  const walk = (digest: string): void => {
    if (seen.has(digest)) return
    seen.add(digest)
    for (const child of manifests.get(digest)?.children ?? []) walk(child)
  }
  for (const root of roots) walk(root)
  return seen
}

/** Which shard of `count` a repository falls in: sha256 of its name, first 4 bytes big-endian, modulo count. */
export function shardOf(repository: string, count: number, hash: (text: string) => Buffer): number {
  return hash(repository).readUInt32BE(0) % count
}
