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
 * The first lock, tag then manifest then repository, that stops `change`, or
 * undefined. Items that do not exist, or that this identity may not read, say nothing.
 */
export async function findLock(
  metadata: AcrMetadataClient,
  repository: string,
  change: Change,
  at: { tag?: string; digest?: string }
): Promise<Locked | undefined> {
  const reads: Array<[Locked['on'], string, () => Promise<ChangeableAttributes | undefined>]> = []
  if (at.tag !== undefined) {
    const tag = at.tag
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
