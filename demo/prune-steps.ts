// The two prune steps: a dry run that plans, then the prune that must do
// exactly what was planned: the oldest builds go, the newest KEEP stay, and
// v1, though the oldest of all, stays because the lock step locked it.

import type { StepOutcome } from './action-step.js'
import { BUILDS, KEEP, SITE, type DemoStep, type StepContext } from './demo-step.js'
import { expectEqual, parseJson, readPlan, succeeded, type PlanEntry } from './step-checks.js'

export function pruneDryRun({ signIn, learned }: StepContext): DemoStep {
  return {
    title: `prune, dry run (keep-count ${KEEP})`,
    prepare: async () => ({
      operation: 'prune',
      repository: SITE,
      'keep-count': String(KEEP),
      'dry-run': 'true',
      ...signIn
    }),
    check: async outcome => {
      const problems = succeeded(outcome)
      expectEqual(problems, 'deleted-count', outcome.outputs['deleted-count'], '0')
      const plan = await readPlan(outcome)
      learned.planned = deletionsOf(plan)
      const oldest = learned.builds.slice(0, BUILDS - KEEP).sort()
      expectEqual(problems, 'planned deletions', learned.planned.join(', '), oldest.join(', '))
      const site = plan.find(image => image.digest === learned.siteDigest)
      const locked = `${site?.decision}, ${/locked/.test(site?.reason ?? '') ? 'locked' : site?.reason}`
      expectEqual(problems, 'v1 in the plan', locked, 'keep, locked')
      return problems
    },
    show: showPlan
  }
}

export function prune({ signIn, learned }: StepContext): DemoStep {
  return {
    title: `prune (keep-count ${KEEP})`,
    prepare: async () => ({
      operation: 'prune',
      repository: SITE,
      'keep-count': String(KEEP),
      ...signIn
    }),
    check: async outcome => {
      const problems = succeeded(outcome)
      const kept = String(KEEP + 1)
      expectEqual(
        problems,
        'deleted-count',
        outcome.outputs['deleted-count'],
        String(BUILDS - KEEP)
      )
      expectEqual(problems, 'kept-count', outcome.outputs['kept-count'], kept)
      expectEqual(problems, 'failed-count', outcome.outputs['failed-count'], '0')
      const verified = parseJson<{ verified?: number }>(outcome.outputs.result).verified
      expectEqual(problems, 'kept images verified', String(verified), kept)
      const plan = await readPlan(outcome)
      const deleted = deletionsOf(plan).join(', ')
      expectEqual(problems, 'deleted as the dry run planned', deleted, learned.planned.join(', '))
      return problems
    },
    show: showPlan
  }
}

/** The digests the plan deletes, sorted. */
function deletionsOf(plan: PlanEntry[]): string[] {
  return plan
    .filter(image => image.decision === 'delete')
    .map(image => image.digest)
    .sort()
}

async function showPlan(outcome: StepOutcome): Promise<string[]> {
  const plan = await readPlan(outcome)
  return [
    `plan (${outcome.outputs.plan ?? 'no plan output'}):`,
    ...plan.map(i => `  ${i.decision.padEnd(6)}  ${i.tags.join(', ') || '(untagged)'}: ${i.reason}`)
  ]
}
