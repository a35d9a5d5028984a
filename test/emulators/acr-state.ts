// What ACR keeps beside the registry's own storage: when each repository,
// tag and manifest was created and last updated, their lock attributes, and
// which manifest refers to which (index children, subjects). The backing
// registry stays the truth of what exists; what it holds that was not seen
// passing through is discovered with a "first seen" time.

export interface ChangeableAttributes {
  deleteEnabled: boolean
  writeEnabled: boolean
  readEnabled: boolean
  listEnabled: boolean
}

export interface Timed {
  createdTime: string
  lastUpdateTime: string
}

export interface RepositoryRecord extends Timed {
  name: string
  attributes: ChangeableAttributes
}

export interface TagRecord extends Timed {
  repository: string
  name: string
  digest: string
  attributes: ChangeableAttributes
}

export interface ManifestRecord extends Timed {
  repository: string
  digest: string
  mediaType: string
  size: number
  artifactType?: string
  architecture?: string
  os?: string
  references?: Array<{ digest: string; architecture?: string; os?: string }>
  subject?: string
  attributes: ChangeableAttributes
}

/** ACR writes times with seven fractional digits. */
export function acrTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z')
}

const open = (): ChangeableAttributes => ({
  deleteEnabled: true,
  writeEnabled: true,
  readEnabled: true,
  listEnabled: true
})

export class AcrState {
  readonly repositories = new Map<string, RepositoryRecord>()
  readonly tags = new Map<string, TagRecord>()
  readonly manifests = new Map<string, ManifestRecord>()

  constructor(private readonly clock: () => number) {}

  private now(): string {
    return acrTime(new Date(this.clock()))
  }

  repository(name: string): RepositoryRecord {
    let record = this.repositories.get(name)
    if (!record) {
      const now = this.now()
      record = { name, createdTime: now, lastUpdateTime: now, attributes: open() }
      this.repositories.set(name, record)
    }
    return record
  }

  /** A manifest seen, pushed or discovered; pushing it again updates its time, as ACR does. */
  manifest(
    repository: string,
    digest: string,
    details: Omit<ManifestRecord, keyof Timed | 'repository' | 'digest' | 'attributes'>,
    pushed: boolean
  ): ManifestRecord {
    const key = `${repository}@${digest}`
    const now = this.now()
    const known = this.manifests.get(key)
    const record: ManifestRecord = known
      ? { ...known, ...details, lastUpdateTime: pushed ? now : known.lastUpdateTime }
      : {
          repository,
          digest,
          ...details,
          createdTime: now,
          lastUpdateTime: now,
          attributes: open()
        }
    this.manifests.set(key, record)
    this.touch(repository, pushed)
    return record
  }

  /** A tag seen pointing at `digest`; a push moves its time and its manifest's. */
  tag(repository: string, name: string, digest: string, pushed: boolean): TagRecord {
    const key = `${repository}:${name}`
    const now = this.now()
    const known = this.tags.get(key)
    const moved = known !== undefined && known.digest !== digest
    const record: TagRecord = known
      ? { ...known, digest, lastUpdateTime: pushed || moved ? now : known.lastUpdateTime }
      : { repository, name, digest, createdTime: now, lastUpdateTime: now, attributes: open() }
    this.tags.set(key, record)
    const manifest = this.manifests.get(`${repository}@${digest}`)
    if (manifest && pushed) manifest.lastUpdateTime = now
    return record
  }

  tagsOf(repository: string): TagRecord[] {
    return [...this.tags.values()].filter(t => t.repository === repository)
  }

  manifestsOf(repository: string): ManifestRecord[] {
    return [...this.manifests.values()].filter(m => m.repository === repository)
  }

  forgetTag(repository: string, name: string): void {
    this.tags.delete(`${repository}:${name}`)
  }

  /** Forgets a manifest and its tags; returns the tags it had. */
  forgetManifest(repository: string, digest: string): string[] {
    this.manifests.delete(`${repository}@${digest}`)
    const tags = this.tagsOf(repository).filter(t => t.digest === digest)
    for (const tag of tags) this.forgetTag(repository, tag.name)
    return tags.map(t => t.name)
  }

  forgetRepository(name: string): void {
    this.repositories.delete(name)
    for (const tag of this.tagsOf(name)) this.forgetTag(name, tag.name)
    for (const manifest of this.manifestsOf(name))
      this.manifests.delete(`${name}@${manifest.digest}`)
  }

  /** Why a write to (or delete of) these is refused, if it is: ACR's 405. */
  writeRefused(...records: Array<{ attributes: ChangeableAttributes } | undefined>): boolean {
    return records.some(r => r !== undefined && !r.attributes.writeEnabled)
  }

  deleteRefused(...records: Array<{ attributes: ChangeableAttributes } | undefined>): boolean {
    return records.some(
      r => r !== undefined && (!r.attributes.writeEnabled || !r.attributes.deleteEnabled)
    )
  }

  private touch(repository: string, pushed: boolean): void {
    const record = this.repository(repository)
    if (pushed) record.lastUpdateTime = this.now()
  }
}

export interface Page<T> {
  items: T[]
  /** The `last` value for the next page, when there is one. */
  next?: string
}

/**
 * One page of `items` after the one whose key is `last`. Keys are opaque to
 * clients (ACR's are, under time ordering): they follow the Link header.
 */
export function page<T>(items: T[], key: (item: T) => string, n: number, last?: string): Page<T> {
  const start = last === undefined ? 0 : items.findIndex(item => key(item) === last) + 1
  const slice = items.slice(start, start + n)
  const more = start + n < items.length
  const lastItem = slice[slice.length - 1]
  return { items: slice, next: more && lastItem !== undefined ? key(lastItem) : undefined }
}
