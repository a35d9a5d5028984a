// Deletes as ACR performs them, shared by /v2/ and /acr/v1: a tag alone
// (which distribution 2.8 cannot do through its API, so its storage folder
// goes), a manifest with its tags and its referrers (ACR removes signatures
// and SBOMs with their subject), and a whole repository. Locks are the
// callers' business.

import type { Backing } from './backing.js'
import type { StorageLayout } from './layout.js'
import { v2Path } from './routes.js'
import { referrersOf, type AcrState, type RepositoryRecord } from './state.js'

export class Deleter {
  constructor(
    private readonly state: AcrState,
    private readonly layout: StorageLayout,
    private readonly backing: Backing
  ) {}

  async deleteTag(repository: RepositoryRecord, tag: string): Promise<void> {
    await this.layout.removeTag(repository.name, tag)
    this.state.removeTag(repository.name, tag)
  }

  /** The registry's status: 202 when deleted, 404 when it had no such manifest. */
  async deleteManifest(repository: RepositoryRecord, digest: string): Promise<number> {
    const referrers = referrersOf(repository, digest)
    const status = await this.deleteFromRegistry(repository.name, digest)
    if (status !== 202) return status
    this.state.removeManifest(repository.name, digest)
    for (const referrer of referrers) {
      await this.deleteFromRegistry(repository.name, referrer.digest)
      this.state.removeManifest(repository.name, referrer.digest)
    }
    return status
  }

  async deleteRepository(
    repository: RepositoryRecord
  ): Promise<{ manifestsDeleted: string[]; tagsDeleted: string[] }> {
    const deleted = {
      manifestsDeleted: [...repository.manifests.keys()].sort(),
      tagsDeleted: [...repository.tags.keys()].sort()
    }
    await this.layout.removeRepository(repository.name)
    this.state.removeRepository(repository.name)
    return deleted
  }

  private async deleteFromRegistry(repository: string, digest: string): Promise<number> {
    return (await this.backing.request('DELETE', v2Path(repository, 'manifests', digest))).status
  }
}
