// Runs the demo's steps in order, as one job: each step's header, its log
// live, its outputs, extra facts and summary, then whether it did what was
// expected. A failed step does not stop the job, so the results show them all;
// an interrupt does.

import { join } from 'node:path'
import { runStep, type StepOutcome } from './action-step.js'
import { showOutputs, showSummary, stepHeader, type Print, type StepResult } from './printer.js'
import type { DemoStack } from './stack.js'
import type { DemoStep } from './steps.js'
import type { Style } from './terminal-style.js'
import { WorkflowLog } from './workflow-log.js'

export interface WorkflowOptions {
  entry: string
  print: Print
  style: Style
  signal: AbortSignal
}

export async function runWorkflow(
  stack: DemoStack,
  steps: DemoStep[],
  options: WorkflowOptions
): Promise<StepResult[]> {
  const { print, style, signal } = options
  const results: StepResult[] = []
  for (const [i, step] of steps.entries()) {
    if (signal.aborted) break
    const title = `${i + 1}/${steps.length} ${step.title}`
    const problems = await runOne(stack, step, title, options).catch((error: unknown) => [
      `the demo could not run it: ${(error as Error).message ?? String(error)}`
    ])
    if (signal.aborted) break
    const ok = problems.length === 0
    results.push({ title, ok, problems })
    const verdict = ok ? style.green('✔ ok') : style.red(`✘ failed: ${problems.join('; ')}`)
    print(`${step.quiet ? '   ' : '\n'}${verdict}`)
  }
  return results
}

async function runOne(
  stack: DemoStack,
  step: DemoStep,
  title: string,
  { entry, print, style, signal }: WorkflowOptions
): Promise<string[]> {
  const inputs = await step.prepare()
  if (step.quiet) {
    print()
    const shown = ['repository', 'tag', 'files'].map(name => `${name}: ${inputs[name] ?? ''}`)
    print(`${style.bold(style.blue(`━━ ${title}`))}  ${style.dim(shown.join(', '))}`)
  } else {
    stepHeader(print, style, title, inputs)
  }
  // A quiet step's log is kept, and shown only if the step fails.
  const held: string[] = []
  const log = new WorkflowLog(style, line => (step.quiet ? held.push(line) : print(`  ${line}`)))
  log.mask(stack.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? '')
  const outcome: StepOutcome = await runStep(entry, {
    inputs,
    env: stack.env,
    cwd: stack.workspace,
    dir: join(stack.dir, 'runner', 'steps', title.replace(/[^a-z0-9]+/gi, '-')),
    onLine: (line, stream) => log.line(line, stream),
    signal
  })
  if (outcome.aborted) return ['interrupted']
  const problems = await step.check(outcome)
  if (step.quiet) {
    if (problems.length > 0) for (const line of held) print(`  ${line}`)
    else print(`   ${style.dim(`digest ${outcome.outputs.digest ?? ''}`)}`)
    return problems
  }
  const outputs = Object.fromEntries(
    Object.entries(outcome.outputs).map(([name, value]) => [name, log.redact(value)])
  )
  showOutputs(print, style, outputs)
  const extra = (await step.show?.(outcome)) ?? []
  if (extra.length > 0) print()
  for (const line of extra) print(log.redact(line))
  showSummary(print, style, log.redact(outcome.summary))
  return problems
}
