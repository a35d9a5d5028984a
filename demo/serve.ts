// `--serve`: the demo's stack stays up for other tools, such as
// @github/local-action (npm run local-action) or `node dist/index.js` by
// hand. What they need, which changes on every start (ports, the CA file, the
// runner's request token), goes to an env file that a shell can source and
// dotenv can read; it is removed when the stack stops.

import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { clientId, tenantId } from '../test/emulators/azure.js'
import { runStep } from './action-step.js'
import type { Print } from './printer.js'
import type { DemoStack } from './stack.js'
import type { Style } from './terminal-style.js'
import { WorkflowLog } from './workflow-log.js'

export interface ServeOptions {
  entry: string
  /** The repository's root: the env file goes to .tmp/demo/env under it. */
  root: string
  print: Print
  style: Style
  signal: AbortSignal
}

/** The served repository and tag that the .env.example inspects. */
export const SEEDED = { repository: 'demo/hello', tag: 'v1' }

export function envFilePath(root: string): string {
  return join(root, '.tmp', 'demo', 'env')
}

export async function serve(stack: DemoStack, options: ServeOptions): Promise<void> {
  const { print, style, signal } = options
  const envFile = envFilePath(options.root)
  await refuseSecondServer(envFile)
  await seed(stack, options)
  // @actions/core appends to the summary file and refuses one that does not exist.
  const summaryFile = join(stack.dir, 'runner', 'summary.md')
  await writeFile(summaryFile, '')
  // Not HOME nor GITHUB_ACTIONS: the file is sourced into a reader's shell, which must keep its own.
  const { HOME: _home, GITHUB_ACTIONS: _actions, ...jobEnv } = stack.env
  const values: Record<string, string> = {
    ...jobEnv,
    GITHUB_STEP_SUMMARY: summaryFile,
    AZURE_CLIENT_ID: clientId,
    AZURE_TENANT_ID: tenantId,
    AZURE_AUTHORITY_HOST: stack.azure.entra.url,
    INPUT_REGISTRY: stack.azure.acr.host,
    DEMO_SERVE_PID: String(process.pid)
  }
  await mkdir(dirname(envFile), { recursive: true })
  const lines = Object.entries(values).map(([name, value]) => `${name}=${shellQuote(value)}`)
  const header = `# Written by 'npm run demo -- --serve' (pid ${process.pid}); removed when it stops.`
  // It holds the runner's request token: for the emulator only, but still nobody else's to read.
  await writeFile(envFile, `${header}\n${lines.join('\n')}\n`, { mode: 0o600 })
  try {
    const shown = relative(process.cwd(), envFile) || envFile
    print()
    print(style.bold(`Serving. The environment for other tools is in ${shown}.`))
    print(`  ${SEEDED.repository}:${SEEDED.tag} is pushed, ready to inspect or pull.`)
    print()
    print('With @github/local-action (runs src/main.ts, no build needed):')
    print('  cp .env.example .env      # once; its INPUT_* say what the step does')
    print('  npm run local-action')
    print()
    print('With the bundled action, as a runner would (in a subshell, so yours stays as it is):')
    const inputs = `INPUT_OPERATION=inspect INPUT_REPOSITORY=${SEEDED.repository} INPUT_TAG=${SEEDED.tag}`
    print(`  (set -a; . ${shown}; set +a; ${inputs} node dist/index.js)`)
    print()
    print(`Job summaries go to ${summaryFile}.`)
    print(style.dim('Ctrl-C stops the stack and removes everything it made.'))
    await new Promise<void>(resolve =>
      signal.addEventListener('abort', () => resolve(), { once: true })
    )
  } finally {
    await rm(envFile, { force: true })
  }
}

// A second stack would overwrite the first one's env file under its feet.
async function refuseSecondServer(envFile: string): Promise<void> {
  if (!existsSync(envFile)) return
  const text = await readFile(envFile, 'utf8').catch(() => '')
  const pid = Number(/^DEMO_SERVE_PID='?(\d+)/m.exec(text)?.[1])
  if (pid && pid !== process.pid && isAlive(pid)) {
    throw new Error(
      `another 'demo --serve' (pid ${pid}) is running and owns ${envFile}: stop it first`
    )
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Pushes the artifact the .env.example inspects, through the action, so the stack serves something. */
async function seed(
  stack: DemoStack,
  { entry, print, style, signal }: ServeOptions
): Promise<void> {
  await writeFile(join(stack.workspace, 'hello.txt'), 'Hello from the acr-action demo\n')
  const held: string[] = []
  const log = new WorkflowLog(style, line => held.push(line))
  const outcome = await runStep(entry, {
    inputs: { operation: 'push', ...stack.signIn, ...SEEDED, files: 'hello.txt' },
    env: stack.env,
    cwd: stack.workspace,
    dir: join(stack.dir, 'runner', 'steps', 'seed'),
    onLine: (line, stream) => log.line(line, stream),
    signal
  })
  if (outcome.exitCode !== 0 && !outcome.aborted) {
    for (const line of held) print(`  ${line}`)
    throw new Error(`could not push ${SEEDED.repository}:${SEEDED.tag} to serve it`)
  }
}

/** Single quotes: what both a POSIX shell and dotenv read back unchanged. */
function shellQuote(value: string): string {
  return /^[\w./:@,+-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}
