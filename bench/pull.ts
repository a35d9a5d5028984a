// The pull benchmark: in one run, side by side, this action (without and
// with the tool cache), skopeo, the raw limit and curl pull one big file and
// many small files from the real registry on loopback, each run into a fresh
// folder. Runs interleave the clients so that drift on the machine spreads
// over all of them.

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRegistry } from '../test/rig/registry.js'
import { snapshotBuild } from './action-build.js'
import type { Figures } from './figures.js'
import { measure } from './measure.js'
import { PullCells } from './pull-cells.js'
import { preparePullContents, type PullContent } from './pull-content.js'
import { pullPeers, type PullPeer } from './pull-peers.js'
import { pullTable } from './pull-report.js'
import { checkPullTargets } from './pull-targets.js'
import { verifyPulled } from './pull-verify.js'
import { warmMemory } from './warm-memory.js'
import { skopeoCacheFile } from './push-peers.js'

const CONCURRENCY = 8

interface Settings {
  bigMiB: number
  fileCount: number
  runs: number
  only: Set<string>
}

function settings(): Settings {
  const whole = (name: string, fallback: number): number => {
    const value = Number(process.env[name] ?? fallback)
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1`)
    return value
  }
  const only = (
    process.env.BENCH_PULL_PEERS ?? 'action,action-cache,skopeo,raw,curl,curl-bare'
  ).split(',')
  return {
    bigMiB: whole('BENCH_PULL_BIG_MIB', 1024),
    fileCount: whole('BENCH_PULL_FILES', 200),
    runs: whole('BENCH_PULL_RUNS', 5),
    only: new Set(only.map(s => s.trim()))
  }
}

export async function pullFigures(figures: Figures): Promise<void> {
  const s = settings()
  const work = await mkdtemp(join(tmpdir(), 'acr-bench-pull-'))
  const registry = await startRegistry()
  try {
    const build = await snapshotBuild(work)
    console.log(`pull bench: generating and pushing ${s.bigMiB} MiB and ${s.fileCount} × 1 MiB`)
    const contents = await preparePullContents(work, s, registry.url)
    const clients = pullPeers({
      actionEntry: build.entry,
      registryUrl: registry.url,
      registryHost: registry.host,
      concurrency: CONCURRENCY
    }).filter(peer => s.only.has(peer.id))
    const cells = new PullCells()
    // Other work on the machine shows in the figures; the table says how much there was.
    const loadAtStart = loadavg()[0] ?? NaN
    for (let run = 0; run < s.runs; run++) {
      for (const content of contents) {
        const takers = clients.filter(peer => peer.pulls(content))
        // Each run starts with another client, so no client always follows the same one.
        const order = takers.map((_, i) => takers[(i + run) % takers.length] as PullPeer)
        for (const peer of order) await pullOnce(cells, work, peer, content, run)
      }
    }
    const load = { start: loadAtStart, end: loadavg()[0] ?? NaN }
    const table = pullTable(cells, contents, clients, {
      runs: s.runs,
      load,
      build: build.id,
      concurrency: CONCURRENCY
    })
    console.log(`\n${table}`)
    await mkdir('.tmp', { recursive: true })
    await writeFile(join('.tmp', 'bench-pull.md'), table)
    checkPullTargets(figures, cells, contents)
  } finally {
    await registry.stop()
    await rm(work, { recursive: true, force: true })
  }
}

/** One pull into a fresh folder, unless an earlier run of this client and content failed. */
async function pullOnce(
  cells: PullCells,
  work: string,
  peer: PullPeer,
  content: PullContent,
  run: number
): Promise<void> {
  const cell = cells.at(peer.id, content.id)
  if (cell.error) return
  const scratch = await mkdtemp(join(work, 'run-'))
  try {
    const target = { content, scratch }
    const command = await peer.command(target)
    // Data the last pull left to write back must not slow this one.
    execFileSync('sync')
    warmMemory(
      work,
      content.layers.reduce((sum, layer) => sum + layer.size, 0)
    )
    const result = await measure(command)
    if (result.exitCode !== 0) {
      cell.error = failure(result.stdout, result.stderr, result.exitCode)
    } else if (peer.id === 'skopeo' && !existsSync(skopeoCacheFile(scratch))) {
      cell.error = 'skopeo did not use the fresh blob-info cache, so its figures would not be fair'
    } else if (run === 0) {
      const wrong = await verifyPulled(peer.landed(target))
      if (wrong) cell.error = `exited 0 but ${wrong}`
    }
    if (cell.error) {
      console.log(`  ${peer.id} ${content.id} run ${run + 1}: ${cell.error}`)
      return
    }
    cell.seconds.push(result.seconds)
    cell.peakRss.push(result.peakRss)
    const mb = Math.round(result.peakRss / 1e6)
    console.log(
      `  ${peer.id} ${content.id} run ${run + 1}: ${result.seconds.toFixed(3)} s, ${mb} MB`
    )
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** What a failed client said: its ::error:: lines, else the end of its stderr. */
function failure(stdout: string, stderr: string, exitCode: number): string {
  const errors = stdout
    .split('\n')
    .filter(line => line.startsWith('::error::'))
    .map(line => line.slice('::error::'.length))
  const said = errors.length > 0 ? errors.join(' ') : stderr.trim().split('\n').slice(-3).join(' ')
  return `exit ${exitCode}: ${said || '(nothing printed)'}`
}
