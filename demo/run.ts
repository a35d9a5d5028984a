// npm run demo (script/demo, which installs what is missing first): the
// action at work on loopback, through the whole OIDC chain. It starts the
// real distribution registry behind the ACR emulator, Entra ID and the
// runner's OIDC endpoint, then runs the bundled dist/index.js step by step as
// a workflow would: push files, push an image layout, pull, lock, prune (dry
// run, then for real). It exits 0 only if every step did what was expected;
// Ctrl-C stops everything it started and exits 130.
//
//   node lib/demo/run.js            the demo
//   node lib/demo/run.js --serve    the same stack, kept up for local-action

import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { performance } from 'node:perf_hooks'
import { actionEntry } from '../test/action/run-action.js'
import { INTERRUPTED_EXIT_CODE, onInterrupt } from './interrupt.js'
import { showResults, type Print } from './printer.js'
import { serve } from './serve.js'
import { startStack, type DemoStack } from './stack.js'
import { demoSteps } from './steps.js'
import { makeStyle, wantsColor, type Style } from './terminal-style.js'
import { runWorkflow } from './workflow.js'

const USAGE = 'usage: demo [--serve]'

const style = makeStyle(wantsColor(process.stdout, process.env))
const print: Print = (line = '') => void process.stdout.write(`${line}\n`)
const signal = onInterrupt(name =>
  print(style.yellow(`\n${name}: stopping what the demo started (step, emulators, registry)…`))
)

async function main(args: string[]): Promise<number> {
  const unknown = args.filter(arg => arg !== '--serve')
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')}\n${USAGE}`)
    return 2
  }
  if (!existsSync(actionEntry)) {
    console.error(`${actionEntry} is missing: build it with 'npm run package' (script/demo does)`)
    return 1
  }
  const started = performance.now()
  print(
    style.bold(
      'Starting the registry, the ACR emulator, Entra ID and the runner OIDC endpoint on loopback…'
    )
  )
  const stack = await startStack()
  try {
    if (signal.aborted) return INTERRUPTED_EXIT_CODE
    describeStack(stack, style)
    if (args.includes('--serve')) {
      await serve(stack, {
        entry: actionEntry,
        root: dirname(dirname(actionEntry)),
        print,
        style,
        signal
      })
      return INTERRUPTED_EXIT_CODE
    }
    const steps = demoSteps(stack, new Date().toISOString())
    const results = await runWorkflow(stack, steps, { entry: actionEntry, print, style, signal })
    await recordSecrets(stack)
    if (signal.aborted) return INTERRUPTED_EXIT_CODE
    showResults(print, style, results, (performance.now() - started) / 1000)
    return results.length === steps.length && results.every(result => result.ok) ? 0 : 1
  } finally {
    await stack.stop()
    if (signal.aborted) print(style.yellow(`stopped; removed ${stack.dir}`))
  }
}

// For the demo's own test: every token the emulators handed out, so that it
// can prove none of them was shown. Only when asked; they are the emulators' alone.
async function recordSecrets({ azure }: DemoStack): Promise<void> {
  const file = process.env.DEMO_SECRETS_FILE
  if (file) await writeFile(file, JSON.stringify(azure.secrets()), { mode: 0o600 })
}

function describeStack({ azure, dir }: DemoStack, style: Style): void {
  const rows = [
    ['registry', `${azure.registry.url}  (docker-registry, pid ${azure.registry.pid})`],
    ['ACR emulator', `https://${azure.acr.host}  (blob storage ${azure.acr.storageUrl})`],
    ['Entra ID', azure.entra.url],
    ['runner OIDC', azure.runner.url],
    ['CA', azure.caFile],
    ['work folder', dir]
  ]
  for (const [name = '', value] of rows) print(`  ${style.dim(name.padEnd(12))}  ${value}`)
}

main(process.argv.slice(2)).then(
  code => process.exit(signal.aborted ? INTERRUPTED_EXIT_CODE : code),
  (error: unknown) => {
    console.error(style.red(`demo: ${(error as Error)?.message ?? String(error)}`))
    process.exit(signal.aborted ? INTERRUPTED_EXIT_CODE : 1)
  }
)
