// One workflow step that uses the action, run the way the runner runs it: a
// fresh `node dist/index.js` with the step's `with:` as INPUT_* variables,
// its own GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and the job's
// environment. Its output is handed over line by line as it comes.

import { spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { diesWithParent } from '../test/rig/cleanup.js'

export interface StepRequest {
  /** The step's `with:`, by the names action.yml gives them. */
  inputs: Record<string, string>
  /** The job's environment (runner dirs, OIDC, CA), on top of PATH. */
  env: Record<string, string>
  /** The job's workspace, where the step runs. */
  cwd: string
  /** A folder of this step's own, for its output and summary files. */
  dir: string
  onLine(line: string, stream: 'stdout' | 'stderr'): void
  signal: AbortSignal
}

export interface StepOutcome {
  /** null when the step was killed. */
  exitCode: number | null
  /** Stopped by the signal given in the request. */
  aborted: boolean
  outputs: Record<string, string>
  /** What the step wrote to GITHUB_STEP_SUMMARY. */
  summary: string
}

// A step that will not stop when asked is killed after this long.
const KILL_AFTER_MS = 2_000

export async function runStep(entry: string, request: StepRequest): Promise<StepOutcome> {
  await mkdir(request.dir, { recursive: true })
  const outputFile = join(request.dir, 'output')
  const summaryFile = join(request.dir, 'summary.md')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  if (request.signal.aborted) return { exitCode: null, aborted: true, outputs: {}, summary: '' }

  // The kernel ends the step with the demo, however the demo ends.
  const [file, args] = diesWithParent(process.execPath, [entry])
  const child = spawn(file, args, {
    cwd: request.cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      // Temporary files go where the demo's own go, so one folder holds them all.
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      ...request.env,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...inputVariables(request.inputs)
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines = [
    createInterface({ input: child.stdout }).on('line', line => request.onLine(line, 'stdout')),
    createInterface({ input: child.stderr }).on('line', line => request.onLine(line, 'stderr'))
  ]
  let killer: NodeJS.Timeout | undefined
  const stop = (): void => {
    child.kill('SIGTERM')
    killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
  }
  request.signal.addEventListener('abort', stop, { once: true })
  const exitCode = await new Promise<number | null>(resolve => {
    child.once('error', error => {
      request.onLine(`could not start the step: ${error.message}`, 'stderr')
      resolve(null)
    })
    child.once('close', code => resolve(code))
  })
  request.signal.removeEventListener('abort', stop)
  clearTimeout(killer)
  for (const reader of lines) reader.close()
  return {
    exitCode,
    aborted: request.signal.aborted,
    outputs: parseOutputs(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8')
  }
}

/** `client-id` → `INPUT_CLIENT-ID`: the runner upper-cases and turns only spaces into `_`. */
export function inputVariables(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [
      `INPUT_${name.replace(/ /g, '_').toUpperCase()}`,
      value
    ])
  )
}

// @actions/core writes each output as `name<<delimiter`, the value's lines, `delimiter`.
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '')
    if (match) {
      const [, name = '', delimiter] = match
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '')
      outputs[name] = value.join('\n')
      continue
    }
    // The older `name=value` form, one line.
    const single = /^([^=]+)=(.*)$/.exec(lines[i] ?? '')
    if (single) outputs[single[1] ?? ''] = single[2] ?? ''
  }
  return outputs
}
