// Runs the bundled action the way the runner does: `node dist/index.js` with
// INPUT_* variables, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files to read back.

import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface ActionRun {
  exitCode: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** The `::error::` lines, without the prefix. */
  errors: string[]
  /**
   * Everything a reader of the job could see: stdout, stderr, outputs and summary, without
   * the `::add-mask::` commands, which the runner consumes and never shows.
   */
  visible: string
}

// From the source tree or from its compiled copy under lib/: the repository is
// the nearest folder upward that holds action.yml.
function repositoryRoot(): string {
  let dir = import.meta.dirname ?? process.cwd()
  while (!existsSync(join(dir, 'action.yml')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

export const actionEntry = join(repositoryRoot(), 'dist', 'index.js')

/** `inputs` by their action.yml names; `env` is added to a minimal runner environment. */
export async function runAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  timeoutMs = 120_000
): Promise<ActionRun> {
  const work = await mkdtemp(join(tmpdir(), 'acr-action-run-'))
  try {
    const outputFile = join(work, 'output')
    const summaryFile = join(work, 'summary')
    await writeFile(outputFile, '')
    await writeFile(summaryFile, '')
    const inputEnv = Object.fromEntries(
      Object.entries(inputs).map(([name, value]) => [
        `INPUT_${name.replace(/ /g, '_').toUpperCase()}`,
        value
      ])
    )
    const child = spawn(process.execPath, [actionEntry], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        RUNNER_TEMP: work,
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        ...inputEnv,
        ...env
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => (stdout += String(chunk)))
    child.stderr.on('data', chunk => (stderr += String(chunk)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const exitCode = await new Promise<number>(done => child.on('close', code => done(code ?? -1)))
    clearTimeout(timer)
    const outputs = parseOutputs(await readFile(outputFile, 'utf8'))
    const summary = await readFile(summaryFile, 'utf8')
    const shown = stdout
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    return {
      exitCode,
      stdout,
      stderr,
      outputs,
      summary,
      visible: [shown, stderr, summary, JSON.stringify(outputs)].join('\n'),
      errors: stdout
        .split('\n')
        .filter(line => line.startsWith('::error::'))
        .map(line => line.slice('::error::'.length))
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

// @actions/core writes `name<<delimiter\nvalue\ndelimiter` blocks.
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '')
    outputs[name ?? ''] = value.join('\n')
  }
  return outputs
}
