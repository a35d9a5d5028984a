// What ACR keeps beside the registry's storage: when each repository, tag and
// manifest was created and last updated, their lock attributes, and what each
// manifest refers to. ACR moves a manifest's lastUpdateTime when it is pushed
// or tagged again, and a tag's when it is pushed or moved; things found in
// the backing registry without having been seen pass through are stamped
// with the time they were first seen.

import type { ManifestDetails } from './manifest-info.js'
import type { Stamper, Ticks } from './time.js'

export interface ChangeableAttributes {
  deleteEnabled: boolean
  writeEnabled: boolean
  readEnabled: boolean
  listEnabled: boolean
}

export const ATTRIBUTE_NAMES = [
  'deleteEnabled',
  'writeEnabled',
  'readEnabled',
  'listEnabled'
] as const

export interface Timed {
  created: Ticks
  updated: Ticks
}

export interface Lockable {
  attributes: ChangeableAttributes
}

export interface TagRecord extends Timed, Lockable {
  name: string
  digest: string
}

export interface ManifestRecord extends Timed, Lockable, ManifestDetails {}

export interface RepositoryRecord extends Timed, Lockable {
  name: string
  tags: Map<string, TagRecord>
  manifests: Map<string, ManifestRecord>
}

/** `pushed`: it came through the emulator now; `discovered`: found in the backing registry. */
export type Origin = 'pushed' | 'discovered'

const unlocked = (): ChangeableAttributes => ({
  deleteEnabled: true,
  writeEnabled: true,
  readEnabled: true,
  listEnabled: true
})

export class AcrState {
  private readonly repositories = new Map<string, RepositoryRecord>()

  constructor(readonly stamper: Stamper) {}

  get(name: string): RepositoryRecord | undefined {
    return this.repositories.get(name)
  }

  names(): string[] {
    return [...this.repositories.keys()]
  }

  repository(name: string): RepositoryRecord {
    let record = this.repositories.get(name)
    if (!record) {
      const now = this.stamper.now()
      record = {
        name,
        created: now,
        updated: now,
        attributes: unlocked(),
        tags: new Map(),
        manifests: new Map()
      }
      this.repositories.set(name, record)
    }
    return record
  }

  putManifest(name: string, details: ManifestDetails, origin: Origin): ManifestRecord {
    const repository = this.repository(name)
    const known = repository.manifests.get(details.digest)
    if (known && origin === 'discovered') return known
    const now = this.stamper.now()
    const record: ManifestRecord = known
      ? { ...known, ...details, updated: now }
      : { ...details, created: now, updated: now, attributes: unlocked() }
    repository.manifests.set(details.digest, record)
    // An index names its children's platforms; their configs may not have.
    for (const reference of record.references ?? []) {
      const child = repository.manifests.get(reference.digest)
      if (child && child.architecture === undefined) {
        Object.assign(child, { architecture: reference.architecture, os: reference.os })
      }
    }
    if (origin === 'pushed') repository.updated = now
    return record
  }

  putTag(name: string, tag: string, digest: string, origin: Origin): TagRecord {
    const repository = this.repository(name)
    const known = repository.tags.get(tag)
    if (known && origin === 'discovered' && known.digest === digest) return known
    const now = this.stamper.now()
    const record: TagRecord = known
      ? { ...known, digest, updated: now }
      : { name: tag, digest, created: now, updated: now, attributes: unlocked() }
    repository.tags.set(tag, record)
    const manifest = repository.manifests.get(digest)
    if (manifest && origin === 'pushed') manifest.updated = now
    if (origin === 'pushed') repository.updated = now
    return record
  }

  removeTag(name: string, tag: string): void {
    const repository = this.repositories.get(name)
    if (repository?.tags.delete(tag)) repository.updated = this.stamper.now()
  }

  /** Forgets a manifest and the tags that pointed at it. */
  removeManifest(name: string, digest: string): void {
    const repository = this.repositories.get(name)
    if (!repository?.manifests.delete(digest)) return
    for (const tag of tagsOf(repository, digest)) repository.tags.delete(tag)
    repository.updated = this.stamper.now()
  }

  removeRepository(name: string): void {
    this.repositories.delete(name)
  }
}

export function tagsOf(repository: RepositoryRecord, digest: string): string[] {
  return [...repository.tags.values()]
    .filter(tag => tag.digest === digest)
    .map(tag => tag.name)
    .sort()
}

/** Manifests whose `subject` is `digest`, and theirs in turn (signatures of an SBOM, say). */
export function referrersOf(repository: RepositoryRecord, digest: string): ManifestRecord[] {
  const direct = [...repository.manifests.values()].filter(m => m.subject === digest)
  return direct.flatMap(referrer => [referrer, ...referrersOf(repository, referrer.digest)])
}
