// The small vocabulary the demo's checks are written in: each adds a problem,
// in words a reader of the demo's output understands, when something differs.

import { readFile } from 'node:fs/promises'
import type { StepOutcome } from './action-step.js'

/** The problems of a step that did not end well, or none. */
export function succeeded(outcome: StepOutcome): string[] {
  if (outcome.aborted) return ['interrupted']
  if (outcome.exitCode !== 0) return [`the step exited with ${outcome.exitCode ?? 'a signal'}`]
  return []
}

export function expectEqual(
  problems: string[],
  what: string,
  actual: string | undefined,
  expected: string | undefined
): void {
  if (actual !== expected) problems.push(`${what} is ${show(actual)}, expected ${show(expected)}`)
}

function show(value: string | undefined): string {
  if (value === undefined) return 'missing'
  return value.length > 200 ? `'${value.slice(0, 200)}…'` : `'${value}'`
}

/** A JSON output, or an empty object when it is missing or not JSON (the checks then say what is absent). */
export function parseJson<T extends object>(text: string | undefined): Partial<T> {
  try {
    const value: unknown = JSON.parse(text ?? '')
    return typeof value === 'object' && value !== null ? (value as Partial<T>) : {}
  } catch {
    return {}
  }
}

export interface PlanEntry {
  digest: string
  tags: string[]
  decision: 'keep' | 'delete'
  reason: string
}

/** The images in the plan file that prune's `plan` output names; none when it is missing. */
export async function readPlan(outcome: StepOutcome): Promise<PlanEntry[]> {
  const path = outcome.outputs.plan
  if (!path) return []
  const text = await readFile(path, 'utf8').catch(() => '')
  return parseJson<{ images: PlanEntry[] }>(text).images ?? []
}
