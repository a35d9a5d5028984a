// Runs one measured process: wall time from spawn to exit, and the peak
// resident memory of that process as the kernel counted it. GNU time (Debian
// package `time`) reads the peak from wait4(); without it the peak is polled
// from /proc/<pid>/status (VmHWM), which can miss a spike in the last poll.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const GNU_TIME = '/usr/bin/time'
const POLL_MS = 10

export interface ProcessRun {
  exitCode: number
  seconds: number
  /** Peak resident set size in bytes, NaN when it could not be read. */
  peakRss: number
  stdout: string
  stderr: string
}

export interface Command {
  file: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  timeoutMs?: number
}

export const rssSource = existsSync(GNU_TIME)
  ? 'GNU time (%M)'
  : 'VmHWM polled from /proc (GNU time missing: Debian package `time`)'

export async function measure(command: Command): Promise<ProcessRun> {
  const scratch = await mkdtemp(join(tmpdir(), 'acr-bench-time-'))
  try {
    const rssFile = join(scratch, 'rss')
    const wrapped = existsSync(GNU_TIME)
      ? { file: GNU_TIME, args: ['-f', '%M', '-o', rssFile, command.file, ...command.args] }
      : { file: command.file, args: command.args }
    const started = performance.now()
    const child = spawn(wrapped.file, wrapped.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => (stdout += String(chunk)))
    child.stderr.on('data', chunk => (stderr += String(chunk)))
    let polled = NaN
    const poller = existsSync(GNU_TIME)
      ? undefined
      : setInterval(() => void highWater(child.pid).then(v => (polled = max(polled, v))), POLL_MS)
    const timer = setTimeout(() => child.kill('SIGKILL'), command.timeoutMs ?? 600_000)
    const exitCode = await new Promise<number>(done => {
      child.once('error', error => {
        stderr += String(error)
        done(-1)
      })
      child.once('close', code => done(code ?? -1))
    })
    const seconds = (performance.now() - started) / 1000
    clearTimeout(timer)
    if (poller) clearInterval(poller)
    const peakRss = poller ? polled : await gnuTimePeak(rssFile)
    return { exitCode, seconds, peakRss, stdout, stderr }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

// GNU time writes "Command exited with non-zero status N" before the figure
// when the command fails, so the figure is the last line; it is in KiB.
async function gnuTimePeak(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const last = text.trim().split('\n').pop() ?? ''
  return /^\d+$/.test(last) ? Number(last) * 1024 : NaN
}

async function highWater(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
  return kib === undefined ? NaN : Number(kib) * 1024
}

function max(a: number, b: number): number {
  if (Number.isNaN(a)) return b
  if (Number.isNaN(b)) return a
  return Math.max(a, b)
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return NaN
  return sorted.length % 2
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}
