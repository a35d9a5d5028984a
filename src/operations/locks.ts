// Which ACR lock stands in the way of a change, said so that the user knows
// the step that lifts it. ACR answers a locked write or delete with a bare 405
// REGISTRY_DISALLOWED_OPERATION; the lock itself is read from /acr/v1.

import type { AcrMetadataClient, ChangeableAttributes } from '../registry/acr-metadata.js'
import { AuthError } from '../auth/errors.js'
import { RegistryError } from '../registry/errors.js'

/** A tag, manifest or repository whose lock refuses the change; nothing was changed. */
export class LockedError extends Error {
  override readonly name = 'LockedError'
}

export type Change = 'write' | 'delete'

export interface Locked {
  on: 'tag' | 'manifest' | 'repository'
  name: string
  attribute: 'writeEnabled' | 'deleteEnabled'
}

/** "write, delete disabled", or `none`. */
export function lockState(attributes: ChangeableAttributes, none = 'none'): string {
  const disabled = (['write', 'delete', 'read', 'list'] as const).filter(
    name => attributes[`${name}Enabled`] === false
  )
  return disabled.length === 0 ? none : `${disabled.join(', ')} disabled`
}

/** `writeEnabled: false` stops writes and deletes; `deleteEnabled: false` stops deletes. */
export function blockingAttribute(
  attributes: ChangeableAttributes | undefined,
  change: Change
): Locked['attribute'] | undefined {
  if (attributes?.writeEnabled === false) return 'writeEnabled'
  if (change === 'delete' && attributes?.deleteEnabled === false) return 'deleteEnabled'
  return undefined
}

/**
 * The first lock, tags then manifest then repository, that stops `change`, or
 * undefined. Items that do not exist, or that this identity may not read, say
 * nothing. A manifest's delete is also stopped by a lock on any of its tags.
 */
export async function findLock(
  metadata: AcrMetadataClient,
  repository: string,
  change: Change,
  at: { tag?: string; digest?: string }
): Promise<Locked | undefined> {
  const reads: Array<[Locked['on'], string, () => Promise<ChangeableAttributes | undefined>]> = []
  const tags = new Set(at.tag !== undefined ? [at.tag] : [])
  if (at.digest !== undefined && at.tag === undefined && change === 'delete') {
    const manifest = await metadata.getManifest(repository, at.digest).catch(() => undefined)
    for (const tag of manifest?.tags ?? []) tags.add(tag)
  }
  for (const tag of tags) {
    reads.push([
      'tag',
      tag,
      async () => (await metadata.getTag(repository, tag)).changeableAttributes
    ])
  }
  if (at.digest !== undefined) {
    const digest = at.digest
    reads.push([
      'manifest',
      digest,
      async () => (await metadata.getManifest(repository, digest)).changeableAttributes
    ])
  }
  reads.push([
    'repository',
    repository,
    async () => (await metadata.getRepository(repository)).changeableAttributes
  ])
  for (const [on, name, read] of reads) {
    const attributes = await read().catch((error: unknown) => {
      if (error instanceof RegistryError || error instanceof AuthError) return undefined
      throw error
    })
    const attribute = blockingAttribute(attributes, change)
    if (attribute) return { on, name, attribute }
  }
  return undefined
}

/** The first lock on anything in the repository (its tags, its manifests, itself) that stops a delete of it all. */
export async function findLockInRepository(
  metadata: AcrMetadataClient,
  repository: string
): Promise<Locked | undefined> {
  const own = await findLock(metadata, repository, 'delete', {})
  if (own) return own
  for await (const tag of metadata.tags(repository)) {
    const attribute = blockingAttribute(tag.changeableAttributes, 'delete')
    if (attribute) return { on: 'tag', name: tag.name, attribute }
  }
  for await (const manifest of metadata.manifests(repository)) {
    const attribute = blockingAttribute(manifest.changeableAttributes, 'delete')
    if (attribute) return { on: 'manifest', name: manifest.digest, attribute }
  }
  return undefined
}

/** The error for a lock: what is locked, by which attribute, and the step that lifts it. */
export function lockedError(repository: string, change: string, lock: Locked): LockedError {
  const where =
    lock.on === 'repository'
      ? `repository ${repository}`
      : lock.on === 'tag'
        ? `tag ${repository}:${lock.name}`
        : `manifest ${repository}@${lock.name}`
  const target =
    lock.on === 'repository'
      ? 'no tag or digest'
      : lock.on === 'tag'
        ? `tag: ${lock.name}`
        : `digest: ${lock.name}`
  const attribute = lock.attribute === 'writeEnabled' ? 'write' : 'delete'
  return new LockedError(
    `cannot ${change}: ${where} is locked (${lock.attribute}: false); lift it with a step with operation: unlock, ${target}, lock-attributes: ${attribute}; nothing was changed`
  )
}
