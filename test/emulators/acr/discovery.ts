// Keeps the state in step with the backing registry, which stays the truth of
// what exists: manifests and tags that appeared there without passing through
// the emulator (pushed straight to the registry by a test) are adopted with a
// first-seen time, and what vanished is forgotten.

import type { StorageLayout } from './layout.js'
import { describeManifest } from './manifest-info.js'
import type { AcrState, RepositoryRecord } from './state.js'

export class Discovery {
  constructor(
    private readonly state: AcrState,
    private readonly layout: StorageLayout
  ) {}

  /** The repository brought up to date, or undefined when the registry holds no manifest in it. */
  async repository(name: string): Promise<RepositoryRecord | undefined> {
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
