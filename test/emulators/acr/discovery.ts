// Keeps the state in step with the backing registry, which stays the truth of
// what exists: manifests and tags that appeared there without passing through
// the emulator (pushed straight to the registry by a test) are adopted with a
// first-seen time, and what vanished is forgotten.

//
// Bringing a repository up to date reads a few hundred link files, and doing
// it for every request made the emulator, not the client, the slowest part
// of a benchmark (ACR answers from its own index). So a request may take the
// picture another request made, when that picture was taken after this one
// arrived and no write through the emulator to the repository began since:
// whatever reached the registry's storage before the request came is in it.

import { AsyncLocalStorage } from 'node:async_hooks'
import type { StorageLayout } from './layout.js'
import { describeManifest } from './manifest-info.js'
import type { AcrState, RepositoryRecord } from './state.js'

interface Picture {
  record: RepositoryRecord | undefined
  /** The sequence number when it was taken. */
  takenAt: number
}

export class Discovery {
  private sequence = 0
  /** The sequence number of the request being handled, given as it arrived. */
  private readonly arrival = new AsyncLocalStorage<number>()
  private readonly pictures = new Map<string, Picture>()
  private readonly writesInFlight = new Map<string, number>()
  private readonly writesBegun = new Map<string, number>()

  constructor(
    private readonly state: AcrState,
    private readonly layout: StorageLayout
  ) {}

  /** Runs a request's handling with its arrival on record; call before any wait. */
  arrived<T>(handle: () => T): T {
    return this.arrival.run(++this.sequence, handle)
  }

  /** A write to `name` begins; the function returned says it was answered. */
  writing(name: string): () => void {
    this.pictures.delete(name)
    this.writesInFlight.set(name, (this.writesInFlight.get(name) ?? 0) + 1)
    this.writesBegun.set(name, (this.writesBegun.get(name) ?? 0) + 1)
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.pictures.delete(name)
      this.writesInFlight.set(name, (this.writesInFlight.get(name) ?? 1) - 1)
    }
  }

  /** The repository brought up to date, or undefined when the registry holds no manifest in it. */
  async repository(name: string): Promise<RepositoryRecord | undefined> {
    const arrivedAt = this.arrival.getStore()
    const picture = this.pictures.get(name)
    if (arrivedAt !== undefined && picture !== undefined && picture.takenAt > arrivedAt) {
      return picture.record
    }
    const takenAt = ++this.sequence
    const begun = this.writesBegun.get(name) ?? 0
    const record = await this.bringUpToDate(name)
    // A picture taken while a write was under way may hold half of it.
    const quiet =
      (this.writesInFlight.get(name) ?? 0) === 0 && (this.writesBegun.get(name) ?? 0) === begun
    if (quiet) this.pictures.set(name, { record, takenAt })
    return record
  }

  private async bringUpToDate(name: string): Promise<RepositoryRecord | undefined> {
    const live = await this.layout.manifests(name)
    if (live.length === 0) {
      this.state.removeRepository(name)
      return undefined
    }
    const record = this.state.repository(name)
    for (const digest of record.manifests.keys()) {
      if (!live.includes(digest)) this.state.removeManifest(name, digest)
    }
    for (const digest of live.filter(digest => !record.manifests.has(digest))) {
      const bytes = await this.layout.readBlob(digest)
      if (!bytes) continue
      const details = await describeManifest(digest, bytes, undefined, d => this.layout.readBlob(d))
      this.state.putManifest(name, details, 'discovered')
    }
    const tags = await this.layout.tags(name)
    for (const tag of record.tags.keys()) {
      if (!tags.some(t => t.name === tag)) this.state.removeTag(name, tag)
    }
    for (const tag of tags) this.state.putTag(name, tag.name, tag.digest, 'discovered')
    return record
  }

  /** Every repository with a manifest, by name. */
  async catalog(): Promise<string[]> {
    const names = await this.layout.repositories()
    for (const known of this.state.names()) {
      if (!names.includes(known)) this.state.removeRepository(known)
    }
    return names
  }
}
