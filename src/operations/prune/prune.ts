// prune: image-level retention across one repository or a glob of them, on
// ACR. Read everything, plan (written to a JSON file), stop there on a dry
// run; otherwise delete what the plan says, a repository at a time and oldest
// first, then read every kept image again and prove it complete. When
// max-deletions cannot bind, plans run ahead of the deletes: a repository's
// deletes start once its own plan is made, and it is proven complete as soon
// as they end. Failed items fail the step at the end, after everything else
// was done and reported.

import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PruneInputs } from '../../inputs.js'
import type { AcrMetadataClient, ManifestProperties } from '../../registry/acr-metadata.js'
import type { OperationContext, OperationResult } from '../context.js'
import { NeedsAcrError } from '../lock.js'
import { inPool, pooled } from '../pool.js'
import { executePlan, type Executed } from './execute.js'
import { capDeletions, deletionOrder, planRepository, shardOf, type PlannedImage } from './plan.js'
import { openPullRequests, pullRequestTags } from './pull-requests.js'
import { pruneReport } from './prune-report.js'
import { markReferrersOf, readNewest, readSnapshot, type RepositorySnapshot } from './snapshot.js'

export interface RepositoryOutcome {
  repository: string
  images: PlannedImage[]
  executed: Executed[]
  /** Set when the repository could not be read whole and was left alone. */
  skipped?: string
  /** Kept images found complete after the deletions. */
  verified: number
  broken: string[]
}

export function preparePrune(
  inputs: PruneInputs,
  env: NodeJS.ProcessEnv
): (context: OperationContext) => Promise<OperationResult> {
  return context => prune(inputs, env, context)
}

async function prune(
  inputs: PruneInputs,
  env: NodeJS.ProcessEnv,
  context: OperationContext
): Promise<OperationResult> {
  const { client, metadata, log } = context
  if (metadata === undefined) {
    throw new NeedsAcrError(
      `prune needs Azure Container Registry: it ranks images by ACR's lastUpdateTime and reads locks from /acr/v1, which ${client.host} does not serve; nothing was changed`
    )
  }
  const repositories = await selectRepositories(inputs, metadata)
  client.expectRepositories(repositories)
  log.info(
    `${repositories.length} repositories to prune${inputs.shard ? ` (shard ${inputs.shard.index}/${inputs.shard.count})` : ''}`
  )
  const protectedTags = await pullRequestProtection(inputs, env, context)
  const now = Date.now()

  const execution = {
    client,
    metadata,
    concurrency: inputs.concurrency,
    includeLocked: inputs.includeLocked,
    log
  }
  // A repository's listing is a round trip or two: as many repositories are
  // listed side by side as the registry takes requests at once.
  const snapshots = await inPool(repositories, inputs.concurrency, repository =>
    readSnapshot(client, metadata, repository, inputs.concurrency).then(
      snapshot => ({ repository, snapshot }),
      (error: unknown) => ({ repository, error: error as Error })
    )
  )
  // When max-deletions cannot bind, which images go does not depend on the
  // other repositories: each one's deletes start as soon as its own plan is
  // made, while the next is still being planned.
  const pipelined =
    !inputs.dryRun && deletionBound(snapshots, inputs.keepCount) <= inputs.maxDeletions
  // Plans run ahead of the deletes. A plan takes a few rounds of reads; made
  // only after the repository before had deleted its images, each one began
  // with the registry's connections all but idle.
  const plans = pooled(snapshots, Math.min(4, inputs.concurrency), read =>
    planOne(read, { client, inputs, now, protectedTags, log })
  )
  const outcomes: RepositoryOutcome[] = await inPool(
    plans,
    Math.min(4, inputs.concurrency),
    async plan => {
      const outcome = await plan
      if (pipelined && !outcome.skipped) {
        outcome.executed = await executePlan(
          deletionOrder(outcome.images.filter(i => i.decision === 'delete')),
          execution
        )
        // Proven now, while other repositories still delete, not after the last of them.
        await verify(metadata, outcome)
      }
      return outcome
    }
  )
  const all = outcomes.flatMap(o => o.images)
  const heldBack = capDeletions(all, inputs.maxDeletions)
  if (heldBack > 0) {
    log.warning(
      `max-deletions: ${inputs.maxDeletions} images go now, the oldest first; ${heldBack} more would have gone and are kept this run`
    )
  }
  const planPath = join(
    env.RUNNER_TEMP || tmpdir(),
    `acr-action-prune-plan-${process.pid}-${now}.json`
  )
  await writeFile(planPath, JSON.stringify({ images: all.map(planEntry) }, null, 2))
  log.info(
    `plan: ${planPath} (${all.filter(i => i.decision === 'delete').length} to delete, ${all.filter(i => i.decision === 'keep').length} to keep)`
  )

  if (!inputs.dryRun) {
    if (!pipelined) {
      const deletions = deletionOrder(all.filter(i => i.decision === 'delete'))
      const executed = await executePlan(deletions, execution)
      for (const outcome of outcomes)
        outcome.executed = executed.filter(e => e.image.repository === outcome.repository)
      await inPool(outcomes, Math.min(4, inputs.concurrency), outcome => verify(metadata, outcome))
    }
    for (const outcome of outcomes) {
      for (const e of outcome.executed) {
        if (e.outcome !== 'deleted')
          log.info(
            `${e.image.repository}@${e.image.digest}: ${e.outcome}${e.detail ? `: ${e.detail}` : ''}`
          )
      }
    }
  } else {
    for (const outcome of outcomes)
      outcome.verified = outcome.images.filter(i => i.decision === 'keep' && !i.belongsTo).length
  }
  return pruneReport(inputs, client.host, outcomes, planPath)
}

interface Planning {
  client: OperationContext['client']
  inputs: PruneInputs
  now: number
  protectedTags: (tag: string) => string | undefined
  log: OperationContext['log']
}

/** One repository's plan; a repository that cannot be read whole is left alone, never guessed at. */
async function planOne(
  read: { repository: string; snapshot: RepositorySnapshot } | { repository: string; error: Error },
  { client, inputs, now, protectedTags, log }: Planning
): Promise<RepositoryOutcome & { snapshot?: RepositorySnapshot }> {
  const { repository } = read
  const leftAlone = (error: Error): RepositoryOutcome => {
    log.warning(`${repository}: left alone, it could not be read whole: ${error.message}`)
    return { repository, images: [], executed: [], skipped: error.message, verified: 0, broken: [] }
  }
  if ('error' in read) return leftAlone(read.error)
  const { snapshot } = read
  try {
    await readNewest(client, snapshot, inputs.keepCount, inputs.concurrency)
    const plan = (): PlannedImage[] => planRepository(snapshot, inputs, { now, protectedTags })
    let images = plan()
    const kept = images.filter(i => i.decision === 'keep' && !i.belongsTo).map(i => i.digest)
    if (await markReferrersOf(client, snapshot, kept, inputs.concurrency)) images = plan()
    return { repository, images, executed: [], verified: 0, broken: [], snapshot }
  } catch (error) {
    return leftAlone(error as Error)
  }
}

/**
 * The most images the plans can delete: beyond keep-count, each repository
 * has at most as many images as it has manifests. A repository that could
 * not be read deletes nothing.
 */
function deletionBound(
  reads: Array<{ snapshot: RepositorySnapshot } | { error: Error }>,
  keepCount: number
): number {
  return reads.reduce(
    (sum, read) =>
      sum + ('snapshot' in read ? Math.max(0, read.snapshot.manifests.size - keepCount) : 0),
    0
  )
}

async function selectRepositories(
  inputs: PruneInputs,
  metadata: AcrMetadataClient
): Promise<string[]> {
  const { repositories, shard } = inputs
  let names: string[]
  if (repositories.kind === 'name') {
    names = [repositories.name]
  } else {
    names = []
    for await (const name of metadata.repositories(1000))
      if (repositories.regex.test(name)) names.push(name)
  }
  const hash = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()
  return (shard ? names.filter(n => shardOf(n, shard.count, hash) === shard.index) : names).sort()
}

async function pullRequestProtection(
  inputs: PruneInputs,
  env: NodeJS.ProcessEnv,
  { transport, log }: OperationContext
): Promise<(tag: string) => string | undefined> {
  if (!inputs.protectPrTags) return () => undefined
  if (!transport) throw new Error('protect-pr-tags: no transport to reach the GitHub API')
  const numbers = await openPullRequests(transport, inputs.protectPrTags.githubToken, env)
  log.info(`protect-pr-tags: ${numbers.length} open pull requests`)
  return pullRequestTags(inputs.protectPrTags.template, numbers)
}

// After the deletions, each repository is listed again: every kept image must
// still be there, and every child of a kept index with it.
async function verify(
  metadata: AcrMetadataClient,
  outcome: RepositoryOutcome & { snapshot?: RepositorySnapshot }
): Promise<void> {
  // Images only: a kept signature is not an image, and is not counted as one.
  const kept = outcome.images.filter(i => i.decision === 'keep' && !i.belongsTo)
  if (outcome.skipped || kept.length === 0) return
  const present = new Map<string, ManifestProperties>()
  try {
    for await (const m of metadata.manifests(outcome.repository, { pageSize: 1000 }))
      present.set(m.digest, m)
  } catch (error) {
    outcome.broken.push(`the repository could not be read again: ${(error as Error).message}`)
    return
  }
  for (const image of kept) {
    const children = outcome.snapshot?.manifests.get(image.digest)?.children ?? []
    const missing = [image.digest, ...children].filter(d => !present.has(d))
    if (missing.length === 0) outcome.verified++
    else outcome.broken.push(`${image.digest} is missing ${missing.join(', ')}`)
  }
}

function planEntry(image: PlannedImage): Record<string, unknown> {
  return {
    repository: image.repository,
    digest: image.digest,
    tags: image.tags,
    time: image.time,
    size: image.size,
    decision: image.decision,
    reason: image.reason,
    ...(image.children ? { children: image.children } : {})
  }
}
