// Carries out a prune plan: each image by manifest digest (one write: ACR
// removes its tags with it), in the plan's order, then the children of an index
// that nothing kept lists. Just before its deletes, a repository's manifests
// are listed again (a page of a thousand is one read, where a read per image
// would double the requests): an image whose tags or manifest lock changed
// since the plan is kept. A tag locked since then makes ACR refuse the delete
// (405), which keeps the image too. A 404 is already gone; one failure never
// stops the run.

import type {
  AcrMetadataClient,
  ChangeableAttributes,
  ManifestProperties
} from '../../registry/acr-metadata.js'
import type { RegistryClient } from '../../registry/client.js'
import { RegistryError } from '../../registry/errors.js'
import { deleteManifest } from '../../registry/manifests.js'
import type { Logger } from '../context.js'
import { blockingAttribute } from '../locks.js'
import { inPool } from '../pool.js'
import type { PlannedImage } from './plan.js'

export type Outcome = 'deleted' | 'gone' | 'changed' | 'locked' | 'failed'

export interface Executed {
  image: PlannedImage
  outcome: Outcome
  detail?: string
}

export interface ExecuteContext {
  client: RegistryClient
  metadata: AcrMetadataClient
  /** Images in flight at once; the transport lowers its own limit on 429. */
  concurrency: number
  includeLocked: boolean
  log: Logger
}

export async function executePlan(
  deletions: PlannedImage[],
  context: ExecuteContext
): Promise<Executed[]> {
  const current = new CurrentState(context.metadata)
  return inPool(deletions, context.concurrency, image => deleteImage(image, current, context))
}

/** How long a fresh listing counts as "just before" a delete. */
const freshForMs = 10_000

// The latest listing of each repository, read again once it is older than freshForMs.
class CurrentState {
  private readonly listings = new Map<
    string,
    { at: number; manifests: Promise<Map<string, ManifestProperties>> }
  >()

  constructor(private readonly metadata: AcrMetadataClient) {}

  manifests(repository: string): Promise<Map<string, ManifestProperties>> {
    const known = this.listings.get(repository)
    if (known && Date.now() - known.at < freshForMs) return known.manifests
    const manifests = (async () => {
      const all = new Map<string, ManifestProperties>()
      for await (const m of this.metadata.manifests(repository, { pageSize: 1000 }))
        all.set(m.digest, m)
      return all
    })()
    this.listings.set(repository, { at: Date.now(), manifests })
    return manifests
  }
}

async function deleteImage(
  image: PlannedImage,
  current: CurrentState,
  context: ExecuteContext
): Promise<Executed> {
  const { client, log } = context
  const { repository, digest } = image
  try {
    const now = (
      await current.manifests(repository).catch((error: unknown) => {
        if (error instanceof RegistryError && error.notFound)
          return new Map<string, ManifestProperties>()
        throw error
      })
    ).get(digest)
    if (now === undefined) return { image, outcome: 'gone', detail: 'already gone' }
    const tags = [...(now.tags ?? [])].sort()
    if (tags.join(',') !== [...image.tags].sort().join(',')) {
      return {
        image,
        outcome: 'changed',
        detail: `its tags changed since the plan (now ${tags.join(', ') || 'none'})`
      }
    }
    const restore = await liftLocks(image, now.changeableAttributes, tags, context)
    if (restore === 'locked') {
      return { image, outcome: 'changed', detail: 'it was locked since the plan' }
    }
    let deleted: boolean
    try {
      deleted = await deleteManifest(client, repository, digest)
    } catch (error) {
      await restore?.()
      throw error
    }
    // The index is gone either way; a child left behind means the plan was not
    // carried out, so the item fails (the step with it). It is an untagged
    // top-level manifest now, which the next prune plans again.
    const left: string[] = []
    for (const child of image.children ?? []) {
      await deleteManifest(client, repository, child).catch((error: unknown) => {
        log.warning(
          `${repository}@${child}, a child of ${digest}: not deleted: ${(error as Error).message}`
        )
        left.push(child)
      })
    }
    if (left.length > 0) {
      return {
        image,
        outcome: 'failed',
        detail: `the index was deleted, but not its ${left.length === 1 ? 'child' : 'children'} ${left.join(', ')}; the next prune finds ${left.length === 1 ? 'it' : 'them'} untagged`
      }
    }
    return deleted
      ? { image, outcome: 'deleted' }
      : { image, outcome: 'gone', detail: 'already gone' }
  } catch (error) {
    const locked = error instanceof RegistryError && error.disallowed
    // Locked since the plan: a change like any other, so the image stays. One
    // whose locks this run lifted and that is still refused has failed.
    if (locked && !image.locked) {
      return {
        image,
        outcome: 'changed',
        detail: 'it was locked since the plan (ACR refused the delete)'
      }
    }
    return {
      image,
      outcome: locked ? 'locked' : 'failed',
      detail: locked ? 'ACR refused the delete: it is locked' : (error as Error).message
    }
  }
}

// With include-locked, the image's locks come off just before its delete and
// go back on if the delete fails. Without it, a lock found now means the
// image changed since the plan.
async function liftLocks(
  image: PlannedImage,
  manifestAttributes: ChangeableAttributes | undefined,
  tags: string[],
  { metadata, includeLocked }: ExecuteContext
): Promise<'locked' | (() => Promise<void>) | undefined> {
  const { repository, digest } = image
  const manifestLocked = blockingAttribute(manifestAttributes, 'delete') !== undefined
  // Tag locks are read only for an image the plan found locked: for any other,
  // a tag locked since makes ACR refuse the delete, which keeps the image.
  if (!image.locked) return manifestLocked ? 'locked' : undefined
  if (!includeLocked) return 'locked'
  const tagAttributes = await Promise.all(
    tags.map(async tag => ({
      tag,
      attributes: (await metadata.getTag(repository, tag)).changeableAttributes
    }))
  )
  const lockedTags = tagAttributes.filter(t => blockingAttribute(t.attributes, 'delete'))
  if (!manifestLocked && lockedTags.length === 0) return undefined
  const open = { writeEnabled: true, deleteEnabled: true }
  for (const { tag } of lockedTags) await metadata.updateTag(repository, tag, open)
  if (manifestLocked) await metadata.updateManifest(repository, digest, open)
  return async () => {
    if (manifestLocked) await metadata.updateManifest(repository, digest, pick(manifestAttributes))
    for (const { tag, attributes } of lockedTags)
      await metadata.updateTag(repository, tag, pick(attributes))
  }
}

function pick(attributes: ChangeableAttributes | undefined): ChangeableAttributes {
  return { writeEnabled: attributes?.writeEnabled, deleteEnabled: attributes?.deleteEnabled }
}
