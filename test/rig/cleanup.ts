import type { ChildProcess } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// A test that throws before its afterAll, or forgets to stop a server, must not
// leave a registry running or temp folders piling up. Three layers, because
// each covers a case the others miss:
// - the kernel kills servers when this process dies, however it dies;
// - an 'exit' listener kills them and removes folders in plain node scripts
//   (jest hands each test file a copy of `process` that never hears 'exit');
// - temp folder names carry the owner's pid, and folders of dead owners are
//   removed the next time the rig makes one.

const children = new Set<ChildProcess>()
const dirs = new Set<string>()

process.once('exit', () => {
  // Only synchronous work runs in an 'exit' listener.
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

export function trackChild(child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

const SETPRIV = '/usr/bin/setpriv'

/**
 * The command line that runs `file` so that the kernel kills it when this
 * process dies, even by SIGKILL (as jest does to a worker that will not exit).
 * util-linux's setpriv execs in place, so the pid stays the server's.
 */
export function diesWithParent(file: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux' || !existsSync(SETPRIV)) return [file, args]
  return [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', file, ...args]]
}

const ORPHAN = /^acr-rig-[a-z]+-(\d+)-/
let swept: Promise<void> | undefined

/** A fresh folder under the system temp dir; `kind` is lowercase letters, e.g. `registry`. */
export async function makeTempDir(kind: string): Promise<string> {
  await (swept ??= sweepOrphans())
  const dir = await mkdtemp(join(tmpdir(), `acr-rig-${kind}-${process.pid}-`))
  dirs.add(dir)
  return dir
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

async function sweepOrphans(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    const owner = Number(ORPHAN.exec(name)?.[1])
    if (owner && !isAlive(owner)) await rm(join(tmpdir(), name), { recursive: true, force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, but someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
