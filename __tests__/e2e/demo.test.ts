// The demo as a new user runs it: the compiled demo (what script/demo runs
// after its installs), in a fresh temporary folder of its own, against the
// bundled action. It must say what each step did, render the job summaries,
// show no secret, and leave nothing behind: not when it ends, not on Ctrl-C.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { actionEntry } from '../../test/action/run-action.js'

const root = join(actionEntry, '..', '..')
const demo = join(root, 'lib', 'demo', 'run.js')
const STEPS = [
  'push files',
  'push an image layout',
  'pull',
  'lock',
  'push build-1 (CI, meanwhile)',
  'push build-2 (CI, meanwhile)',
  'push build-3 (CI, meanwhile)',
  'push build-4 (CI, meanwhile)',
  'prune, dry run (keep-count 2)',
  'prune (keep-count 2)'
]
// Every token the emulators hand out is a JWT; so is anything that looks like one.
const JWT = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*/
// Enough for a stack to stop, and far more than it needs: past it, the demo hangs.
const EXIT_DEADLINE_MS = 15_000

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'acr-demo-test-'))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  await promisify(execFile)(process.execPath, [tsc, '-p', join(root, 'tsconfig.demo.json')])
}, 120_000)

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

interface DemoRun {
  code: number | null
  stdout: string
  stderr: string
  /** The demo's own temporary folder (TMPDIR), to look into after it ended. */
  tmp: string
  secretsFile: string
}

/** Starts the demo with a TMPDIR of its own; `whileRunning` may act on it while it runs. */
async function runDemo(
  name: string,
  whileRunning?: (child: ReturnType<typeof spawn>, stdout: () => string) => Promise<void>
): Promise<DemoRun> {
  const tmp = await mkdtemp(join(work, `${name}-`))
  const secretsFile = join(work, `${name}-secrets.json`)
  const child = spawn(process.execPath, [demo], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: tmp, TMPDIR: tmp, DEMO_SECRETS_FILE: secretsFile },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += String(chunk)))
  child.stderr.on('data', chunk => (stderr += String(chunk)))
  const exited = new Promise<number | null>(resolve => child.once('close', code => resolve(code)))
  await whileRunning?.(child, () => stdout)
  const code = await exited
  return { code, stdout, stderr, tmp, secretsFile }
}

async function waitForText(stdout: () => string, text: string): Promise<void> {
  for (let tries = 0; !stdout().includes(text); tries++) {
    if (tries > 1_200) throw new Error(`the demo never printed '${text}':\n${stdout()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

function registryPid(stdout: string): number {
  const pid = Number(/\(docker-registry, pid (\d+)\)/.exec(stdout)?.[1])
  expect(pid).toBeGreaterThan(0)
  return pid
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Processes that run in `dir` or name it on their command line (the registry's config is there). */
async function processesUsing(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '')
    if (cmdline.includes(dir) || cwd.startsWith(dir))
      found.push(`${entry}: ${cmdline.replace(/\0/g, ' ')}`)
  }
  return found
}

describe('the demo', () => {
  let run: DemoRun

  beforeAll(async () => {
    run = await runDemo('full')
  }, 180_000)

  it('exits 0 with a header and an ok line for every step, and says all did what was expected', () => {
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    for (const [i, title] of STEPS.entries()) {
      const name = `${i + 1}/${STEPS.length} ${title}`
      expect(run.stdout).toContain(`━━ ${name}`)
      expect(run.stdout).toMatch(new RegExp(`^ {2}ok {6}${name.replace(/[()/]/g, '\\$&')}$`, 'm'))
    }
    expect(run.stdout).toContain(`demo: all ${STEPS.length} steps did what was expected`)
  })

  it('shows each step’s with: as YAML and its log live, groups drawn, no workflow commands', () => {
    expect(run.stdout).toContain(
      '    operation: push\n    repository: demo/site\n    tag: |\n      v1\n      latest\n'
    )
    expect(run.stdout).toMatch(/^ {2}▸ Connect to 127\.0\.0\.1:\d+$/m)
    expect(run.stdout).toContain('answers as Azure Container Registry (sign-in: oidc)')
    expect(run.stdout).not.toMatch(/^\s*::[a-z-]+/m)
  })

  it('renders the job summary: the pushed layer is a row of the layers table', () => {
    // The log names each layer's digest; the summary's row must carry the same one.
    const uploaded = /uploaded: readme\.txt \((\d+ B), (sha256:[0-9a-f]{64})\)/.exec(run.stdout)
    expect(uploaded).not.toBeNull()
    const [, size = '', digest = ''] = uploaded ?? []
    expect(run.stdout).toMatch(new RegExp(`│ readme\\.txt +${size} +${digest} +uploaded`))
    expect(run.stdout).toMatch(/│ Title +Size +Digest +Upload/)
    expect(run.stdout).not.toMatch(/<\/?(table|tr|td|th|h2|h3|code|details)>/)
  })

  it('shows the files the pull wrote and the locked image kept by both prunes', () => {
    expect(run.stdout).toMatch(/^ +\d+ B {2}site\/index\.html +sha256:[0-9a-f]{12}…$/m)
    const kept = run.stdout.match(
      /^ {2}keep {4}latest, v1: locked \(tag v1 writeEnabled: false\)$/gm
    )
    expect(kept).toHaveLength(2)
    expect(run.stdout).toMatch(/^ {2}delete {2}build-1: rank \d+, beyond keep-count 2$/m)
  })

  it('shows no ::add-mask:: line and none of the tokens the emulators handed out', async () => {
    const secrets = JSON.parse(await readFile(run.secretsFile, 'utf8')) as string[]
    // The runner's request token, and ID, Entra, refresh and access tokens for ten steps.
    expect(secrets.length).toBeGreaterThan(20)
    const shown = run.stdout + run.stderr
    expect(shown).not.toContain('add-mask')
    for (const secret of secrets) expect(shown).not.toContain(secret)
    expect(shown).not.toMatch(JWT)
  })

  it('leaves no registry, no process and no temporary file behind', async () => {
    expect(isRunning(registryPid(run.stdout))).toBe(false)
    expect(await processesUsing(run.tmp)).toEqual([])
    expect(await readdir(run.tmp)).toEqual([])
  })
})

describe('the demo, interrupted', () => {
  it('stops on Ctrl-C during the first step: exits 130 and leaves nothing behind', async () => {
    let deadline: NodeJS.Timeout | undefined
    let killed = false
    const run = await runDemo('interrupted', async (child, stdout) => {
      // The first step has started and its action is talking to the registry.
      await waitForText(stdout, `━━ 1/${STEPS.length} push files`)
      await waitForText(stdout, '▸ Connect to')
      child.kill('SIGINT')
      deadline = setTimeout(() => {
        killed = true
        child.kill('SIGKILL')
      }, EXIT_DEADLINE_MS)
    })
    clearTimeout(deadline)
    expect(killed).toBe(false)
    expect(run.code).toBe(130)
    expect(run.stdout).toContain('SIGINT: stopping what the demo started')
    expect(run.stdout).not.toContain('Results')
    expect(isRunning(registryPid(run.stdout))).toBe(false)
    expect(await processesUsing(run.tmp)).toEqual([])
    expect(await readdir(run.tmp)).toEqual([])
  }, 120_000)
})
