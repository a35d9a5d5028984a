// How ACR enforces changeableAttributes. Each record's lock is its own (a tag
// lock does not lock its manifest), but an operation checks every record it
// touches: `writeEnabled: false` blocks overwrites and deletes,
// `deleteEnabled: false` deletes only (ACR-WIRE-FACTS §4).

import { isDigest } from './routes.js'
import type { Lockable, RepositoryRecord } from './state.js'

type Maybe = Lockable | undefined

const writable = (...records: Maybe[]): boolean =>
  records.every(record => record === undefined || record.attributes.writeEnabled)

const deletable = (...records: Maybe[]): boolean =>
  records.every(
    record =>
      record === undefined || (record.attributes.writeEnabled && record.attributes.deleteEnabled)
  )

/** Whether a manifest may be pushed to `reference` (a tag, or its own digest). */
export function mayPush(repository: RepositoryRecord | undefined, reference: string): boolean {
  const target = isDigest(reference)
    ? repository?.manifests.get(reference)
    : repository?.tags.get(reference)
  return writable(repository, target)
}

export function mayDeleteTag(repository: RepositoryRecord, tag: string): boolean {
  return deletable(repository, repository.tags.get(tag))
}

/** Deleting a manifest deletes its tags, so their locks hold it too. */
export function mayDeleteManifest(repository: RepositoryRecord, digest: string): boolean {
  const tags = [...repository.tags.values()].filter(tag => tag.digest === digest)
  return deletable(repository, repository.manifests.get(digest), ...tags)
}

export function mayDeleteRepository(repository: RepositoryRecord): boolean {
  return deletable(repository, ...repository.tags.values(), ...repository.manifests.values())
}

/** Whether a manifest may be pulled by `reference`: the repository, tag and manifest must allow it. */
export function mayRead(repository: RepositoryRecord | undefined, reference: string): boolean {
  const tag = isDigest(reference) ? undefined : repository?.tags.get(reference)
  const manifest = repository?.manifests.get(tag?.digest ?? reference)
  return [repository, tag, manifest].every(
    record => record === undefined || record.attributes.readEnabled
  )
}
