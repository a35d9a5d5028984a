// What a prune tells the user: outputs, the result, and the job summary (a
// table per repository, the deleted references folded away). Counts are of
// images: index children and artifacts of an image are not counted.

import { formatBytes } from '../../report/progress.js'
import type { PruneInputs } from '../../inputs.js'
import type { OperationResult } from '../context.js'
import type { PlannedImage } from './plan.js'
import type { RepositoryOutcome } from './prune.js'

export function pruneReport(
  inputs: PruneInputs,
  host: string,
  outcomes: RepositoryOutcome[],
  planPath: string
): OperationResult {
  const counted = (images: PlannedImage[]): PlannedImage[] => images.filter(i => !i.belongsTo)
  const rows = outcomes.map(o => {
    const images = counted(o.images)
    const deleted = o.executed.filter(e => e.outcome === 'deleted' && !e.image.belongsTo)
    const failed = o.executed.filter(e => e.outcome === 'failed' || e.outcome === 'locked')
    const keptAnyway = o.executed.filter(e => e.outcome === 'changed' && !e.image.belongsTo)
    const kept = images.filter(i => i.decision === 'keep').length + keptAnyway.length
    const reasons = new Map<string, number>()
    for (const image of images.filter(i => i.decision === 'keep')) {
      const key = reasonKey(image.reason)
      reasons.set(key, (reasons.get(key) ?? 0) + 1)
    }
    // A dry run estimates what the deletions it planned would free.
    const freed = inputs.dryRun
      ? images.filter(i => i.decision === 'delete').reduce((sum, i) => sum + i.size, 0)
      : deleted.reduce((sum, e) => sum + e.image.size, 0)
    return { o, images, deleted, failed, kept, reasons, freed }
  })
  const deletedCount = inputs.dryRun ? 0 : rows.reduce((s, r) => s + r.deleted.length, 0)
  const keptCount = rows.reduce((s, r) => s + r.kept, 0)
  const failedCount =
    rows.reduce((s, r) => s + r.failed.length, 0) + outcomes.filter(o => o.skipped).length
  const verified = outcomes.reduce((s, o) => s + o.verified, 0)
  const broken = outcomes.flatMap(o => o.broken.map(b => `${o.repository}: ${b}`))
  const wouldDelete = inputs.dryRun
    ? rows.reduce((s, r) => s + r.images.filter(i => i.decision === 'delete').length, 0)
    : 0

  const failures = [
    ...(failedCount > 0
      ? [`${failedCount} item${failedCount === 1 ? '' : 's'} failed (see the log and the summary)`]
      : []),
    ...(broken.length > 0 ? [`kept images are broken after the prune: ${broken.join('; ')}`] : [])
  ]
  const deletedRefs = rows.flatMap(r =>
    r.deleted.map(
      e =>
        `${host}/${e.image.repository}@${e.image.digest}${e.image.tags.length ? ` (${e.image.tags.join(', ')})` : ''}`
    )
  )
  return {
    outputs: {
      'deleted-count': String(deletedCount),
      'kept-count': String(keptCount),
      'failed-count': String(failedCount),
      plan: planPath
    },
    result: {
      operation: 'prune',
      dryRun: inputs.dryRun,
      repositories: outcomes.length,
      deleted: deletedCount,
      kept: keptCount,
      failed: failedCount,
      verified,
      ...(inputs.dryRun ? { wouldDelete } : {}),
      plan: planPath,
      failures: rows.flatMap(r =>
        r.failed.map(e => ({
          repository: e.image.repository,
          digest: e.image.digest,
          outcome: e.outcome,
          detail: e.detail
        }))
      ),
      skipped: outcomes
        .filter(o => o.skipped)
        .map(o => ({ repository: o.repository, reason: o.skipped }))
    },
    report: {
      title: `${inputs.dryRun ? 'Dry run: prune' : 'Prune'} ${host}`,
      facts: [
        ['Repositories', String(outcomes.length)],
        [
          inputs.dryRun ? 'Would delete' : 'Deleted',
          String(inputs.dryRun ? wouldDelete : deletedCount)
        ],
        ['Kept', String(keptCount)],
        ['Failed', String(failedCount)],
        ['Kept and verified', String(verified)],
        ['Plan', planPath]
      ],
      tables: [
        {
          caption: 'Repositories',
          header: [
            'Repository',
            'Images',
            'Kept',
            inputs.dryRun ? 'Would delete' : 'Deleted',
            'Kept by reason',
            'Failed',
            inputs.dryRun ? 'Would free (est.)' : 'Freed (est.)'
          ],
          rows: rows.map(r => [
            r.o.repository + (r.o.skipped ? ' (left alone)' : ''),
            String(r.images.length),
            String(r.kept),
            String(
              inputs.dryRun
                ? r.images.filter(i => i.decision === 'delete').length
                : r.deleted.length
            ),
            [...r.reasons].map(([k, n]) => `${k}: ${n}`).join('; ') || '-',
            String(r.failed.length),
            formatBytes(r.freed)
          ])
        }
      ],
      ...(deletedRefs.length > 0
        ? { details: { summary: `Deleted (${deletedRefs.length})`, lines: deletedRefs } }
        : {})
    },
    ...(failures.length > 0 ? { failure: `prune: ${failures.join('; ')}` } : {})
  }
}

// Reasons name tags and ranks; the table groups them by kind.
function reasonKey(reason: string): string {
  if (reason.startsWith('among the')) return 'keep-count'
  if (reason.includes('exclude-tags')) return 'exclude-tags'
  if (reason.includes('pull request')) return 'open pull request'
  if (reason.startsWith('locked')) return 'locked'
  if (reason.includes('older-than')) return 'older-than'
  if (reason.startsWith('held back')) return 'max-deletions'
  if (reason.includes('tag-pattern')) return 'tag-pattern'
  if (reason.includes('untagged')) return 'untagged'
  if (reason.includes('tagged')) return 'tagged'
  return reason
}
