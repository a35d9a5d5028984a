// delete: a tag (untag; the manifest and its other tags stay), a manifest by
// digest (with all its tags), or a whole repository. Planned read-only first:
// what would go, what is already gone, which lock or which tagged index
// stands in the way. A dry run stops at the plan; otherwise the plan is
// carried out and nothing else is touched.

import type { DeleteInputs } from '../inputs.js'
import type { AcrMetadataClient } from '../registry/acr-metadata.js'
import type { RegistryClient } from '../registry/client.js'
import { RegistryError } from '../registry/errors.js'
import { deleteManifest, headManifest } from '../registry/manifests.js'
import { repositoryScope } from '../auth/scopes.js'
import { registryError } from '../registry/errors.js'
import type { OperationContext, OperationResult } from './context.js'
import { findLock, findLockInRepository, lockedError, type Locked } from './locks.js'
import { NeedsAcrError } from './lock.js'
import { imagesOf, referringIndexes } from './repository-images.js'

export class ReferencedError extends Error {
  override readonly name = 'ReferencedError'
}

export interface DeletePlan {
  kind: 'tag' | 'manifest' | 'repository'
  repository: string
  /** The tag, digest or repository name. */
  name: string
  /** Already gone: nothing to do. */
  gone: boolean
  /** The digest a tag points at, or the manifest's own. */
  digest?: string
  /** Top-level images that go, and that stay (a tag delete keeps its image). */
  imagesDeleted: number
  imagesKept: number
  /** Tagged indexes that list the manifest (kept only with force). */
  referencedBy: Array<{ digest: string; tags: string[] }>
  lock?: Locked
}

export async function planDelete(
  inputs: DeleteInputs,
  { client, metadata }: Pick<OperationContext, 'client' | 'metadata'>
): Promise<DeletePlan> {
  const { target } = inputs
  const repository = target.repository
  const base = { repository, referencedBy: [], imagesDeleted: 0, imagesKept: 0 }
  switch (target.kind) {
    case 'tag': {
      const found = await headManifest(client, repository, target.tag)
      const lock =
        found && metadata
          ? await findLock(metadata, repository, 'delete', { tag: target.tag })
          : undefined
      return {
        ...base,
        kind: 'tag',
        name: target.tag,
        gone: found === undefined,
        ...(found ? { digest: found.digest, imagesKept: 1 } : {}),
        ...(lock ? { lock } : {})
      }
    }
    case 'digest': {
      const found = await headManifest(client, repository, target.digest)
      if (found === undefined)
        return { ...base, kind: 'manifest', name: target.digest, gone: true, digest: target.digest }
      const images = await imagesOf(client, metadata, repository)
      const referencedBy = referringIndexes(images, target.digest)
      const lock = metadata
        ? await findLock(metadata, repository, 'delete', { digest: target.digest })
        : undefined
      const topLevel = !images.children.has(target.digest)
      return {
        ...base,
        kind: 'manifest',
        name: target.digest,
        gone: false,
        digest: target.digest,
        referencedBy,
        imagesDeleted: topLevel ? 1 : 0,
        ...(lock ? { lock } : {})
      }
    }
    case 'repository': {
      if (metadata === undefined) {
        throw new NeedsAcrError(
          `deleting a whole repository needs Azure Container Registry: the OCI API of ${client.host} has no repository delete; delete its manifests by digest instead. Nothing was changed`
        )
      }
      const images = await imagesOf(client, metadata, repository).catch((error: unknown) => {
        if (error instanceof RegistryError && error.notFound) return undefined
        throw error
      })
      if (images === undefined) return { ...base, kind: 'repository', name: repository, gone: true }
      const lock = await findLockInRepository(metadata, repository)
      return {
        ...base,
        kind: 'repository',
        name: repository,
        gone: false,
        imagesDeleted: images.topLevel.length,
        ...(lock ? { lock } : {})
      }
    }
  }
}

export async function deleteTarget(
  inputs: DeleteInputs,
  context: OperationContext
): Promise<OperationResult> {
  const { client, metadata, log } = context
  const plan = await planDelete(inputs, context)
  const what = describe(plan)
  if (plan.referencedBy.length > 0 && !inputs.force) {
    const index = plan.referencedBy[0] as { digest: string; tags: string[] }
    throw new ReferencedError(
      `cannot delete ${what}: the tagged index ${plan.repository}@${index.digest} (${index.tags.join(', ')}) refers to it, and deleting it would break that index; delete the index first, or set force: true. Nothing was changed`
    )
  }
  if (plan.lock && !plan.gone) throw lockedError(plan.repository, `delete ${what}`, plan.lock)

  let deleted = false
  if (plan.gone) {
    log.info(`${what} is already gone: nothing to delete`)
  } else if (inputs.dryRun) {
    log.info(
      `dry run: would delete ${what}${plan.referencedBy.length ? ' (force: a tagged index refers to it)' : ''}`
    )
  } else {
    deleted = await carryOut(client, metadata, plan).catch(async (error: unknown) => {
      if (error instanceof RegistryError && error.disallowed && metadata) {
        const lock =
          plan.kind === 'repository'
            ? await findLockInRepository(metadata, plan.repository)
            : await findLock(metadata, plan.repository, 'delete', lockPlace(plan))
        if (lock) throw lockedError(plan.repository, `delete ${what}`, lock)
      }
      throw error
    })
    log.info(deleted ? `deleted ${what}` : `${what} was already gone`)
  }
  const done = deleted || plan.gone
  const deletedCount = inputs.dryRun || !deleted ? 0 : plan.imagesDeleted
  return {
    outputs: {
      'deleted-count': String(deletedCount),
      'kept-count': String(plan.imagesKept),
      'failed-count': '0',
      ...(plan.digest ? { digest: plan.digest } : {})
    },
    result: {
      operation: 'delete',
      ...(plan.digest ? { digest: plan.digest } : {}),
      kind: plan.kind,
      repository: plan.repository,
      name: plan.name,
      dryRun: inputs.dryRun,
      status:
        inputs.dryRun && !plan.gone
          ? 'would delete'
          : plan.gone
            ? 'already gone'
            : done
              ? 'deleted'
              : 'kept',
      wouldDelete: inputs.dryRun && !plan.gone ? [what] : [],
      referencedBy: plan.referencedBy
    },
    report: {
      title: `${inputs.dryRun ? 'Dry run: delete' : 'Delete'} ${client.host}/${plan.repository}`,
      facts: [
        ['Target', what],
        [
          'Outcome',
          inputs.dryRun
            ? plan.gone
              ? 'already gone'
              : 'would be deleted'
            : plan.gone
              ? 'already gone'
              : 'deleted'
        ],
        ['Images deleted', String(deletedCount)],
        ['Images kept', String(plan.imagesKept)]
      ],
      tables:
        plan.referencedBy.length > 0
          ? [
              {
                caption: 'Tagged indexes that refer to it (deleted with force: true)',
                header: ['Index', 'Tags'],
                rows: plan.referencedBy.map(r => [r.digest, r.tags.join(', ')])
              }
            ]
          : []
    }
  }
}

async function carryOut(
  client: RegistryClient,
  metadata: AcrMetadataClient | undefined,
  plan: DeletePlan
): Promise<boolean> {
  switch (plan.kind) {
    case 'tag':
      return metadata
        ? metadata.deleteTag(plan.repository, plan.name)
        : deleteTagByOciApi(client, plan)
    case 'manifest':
      return deleteManifest(client, plan.repository, plan.name)
    case 'repository':
      return (await (metadata as AcrMetadataClient).deleteRepository(plan.repository)) !== undefined
  }
}

// The distribution spec lets a registry delete a tag through the manifests
// endpoint; many (the CNCF registry among them) refuse, which is said plainly.
async function deleteTagByOciApi(client: RegistryClient, plan: DeletePlan): Promise<boolean> {
  const response = await client.request({
    method: 'DELETE',
    path: `/v2/${plan.repository}/manifests/${plan.name}`,
    scopes: [repositoryScope(plan.repository, 'delete')]
  })
  if (response.status === 404) {
    await response.discard()
    return false
  }
  if (response.status === 202 || response.status === 200) {
    await response.discard()
    return true
  }
  const error = await registryError(response, `deleting tag ${plan.repository}:${plan.name}`)
  throw new RegistryError(
    error.status,
    error.code,
    `${error.message}. ${client.host} does not delete a tag alone through the OCI API; delete the manifest by digest (with all its tags) instead`,
    error.errors
  )
}

function lockPlace(plan: DeletePlan): { tag?: string; digest?: string } {
  if (plan.kind === 'tag')
    return { tag: plan.name, ...(plan.digest ? { digest: plan.digest } : {}) }
  if (plan.kind === 'manifest') return { digest: plan.name }
  return {}
}

function describe(plan: DeletePlan): string {
  if (plan.kind === 'tag') return `tag ${plan.repository}:${plan.name}`
  if (plan.kind === 'manifest') return `manifest ${plan.repository}@${plan.name}`
  return `repository ${plan.repository}`
}
