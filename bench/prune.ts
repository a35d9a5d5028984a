// The prune benchmark (a nightly prune of many repositories): in one run,
// side by side, this action, the raw limit and the @azure/container-registry
// README script prune the same repositories through the ACR emulator, in
// two scenarios: writes throttled as a Standard ACR throttles them, and no
// throttle but a registry 20 ms away; a third, the raw limit alone with
// neither, shows how much of those times is the emulator's own. Every run is
// checked to leave exactly the newest images, and the repositories are
// filled again before the next.

import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AcrEmulator } from '../test/emulators/acr/index.js'
import { startAzure } from '../test/emulators/azure.js'
import { snapshotBuild } from './action-build.js'
import type { Figures } from './figures.js'
import { measure, type ProcessRun } from './measure.js'
import { PruneCells } from './prune-cells.js'
import { PruneFleet } from './prune-fleet.js'
import { actionCounts, prunePeers, type PrunePeer, type PrunePeerId } from './prune-peers.js'
import { checkPruneTargets, pruneTable, runsIn } from './prune-report.js'
import { scenarioList, settings, type Setting } from './prune-scenarios.js'
import { countTraffic } from './prune-traffic.js'

const CONCURRENCY = 8

export async function pruneFigures(figures: Figures): Promise<void> {
  const s = settings()
  const work = await mkdtemp(join(tmpdir(), 'acr-bench-prune-'))
  const azure = await startAzure()
  try {
    const build = await snapshotBuild(work)
    const fleet = new PruneFleet(azure.acr, s.size)
    console.log(`prune bench: filling ${s.size.repos} repositories × ${s.size.images} images`)
    const filling = performance.now()
    await fleet.populate()
    console.log(`  filled in ${((performance.now() - filling) / 1000).toFixed(1)} s`)
    const everyPeer = prunePeers({
      actionEntry: build.entry,
      azure,
      fleet,
      concurrency: CONCURRENCY
    })
    const clients = everyPeer.filter(peer => s.peers.has(peer.id))
    await warmUp(everyPeer, fleet, work)
    const scenarios = scenarioList(s)
    const cells = new PruneCells()
    const loadAtStart = loadavg()[0] ?? NaN
    for (const scenario of scenarios) {
      for (let run = 0; run < s.runs; run++) {
        // Each run starts with another client, so no client always follows the same one.
        const here = clients.filter(peer => runsIn(scenario, peer))
        const order = here.map((_, i) => here[(i + run) % here.length] as PrunePeer)
        for (const peer of order) {
          await pruneOnce({ azure: azure.acr, fleet, cells, work }, peer, scenario, run)
        }
      }
    }
    azure.acr.faults.clear()
    azure.acr.latency(0)
    const table = pruneTable(cells, scenarios, clients, {
      size: s.size,
      deletions: fleet.deletions,
      runs: s.runs,
      concurrency: CONCURRENCY,
      load: { start: loadAtStart, end: loadavg()[0] ?? NaN },
      build: build.id
    })
    console.log(`\n${table}`)
    await mkdir('.tmp', { recursive: true })
    await writeFile(join('.tmp', 'bench-prune.md'), table)
    // Every run's requests by method, path shape and status, for whoever wants to know why.
    await writeFile(join('.tmp', 'bench-prune.json'), JSON.stringify(cells.all(), null, 1))
    checkPruneTargets(figures, cells, scenarios, fleet.deletions)
  } finally {
    await azure.stop()
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * The emulator runs in this process, and its code is compiled as it is first
 * used: whichever client ran first paid for that (the action's first run
 * measured 3 to 4 s slower than its others). One untimed prune by the raw
 * client first, from full repositories, as every timed run starts.
 */
async function warmUp(peers: PrunePeer[], fleet: PruneFleet, work: string): Promise<void> {
  const raw = peers.find(peer => peer.id === 'raw')
  if (raw === undefined) return
  const scratch = await mkdtemp(join(work, 'warm-up-'))
  try {
    const result = await measure(await raw.command(scratch))
    if (result.exitCode !== 0) throw new Error(`the warm-up prune failed: ${result.stderr}`)
    console.log(`  warm-up (raw client, untimed): ${result.seconds.toFixed(1)} s`)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  await fleet.restore()
}

interface Bench {
  azure: AcrEmulator
  fleet: PruneFleet
  cells: PruneCells
  work: string
}

/** One timed prune from full repositories, then the end state checked, unless an earlier run failed. */
async function pruneOnce(
  bench: Bench,
  peer: PrunePeer,
  scenario: Setting,
  run: number
): Promise<void> {
  const cell = bench.cells.at(peer.id, scenario.id)
  if (cell.error) return
  const scratch = await mkdtemp(join(bench.work, 'run-'))
  try {
    await bench.fleet.restore()
    // The restore wrote a few thousand small files: written back during the
    // timed run, they would slow whichever client came next.
    execFileSync('sync')
    scenario.apply(bench.azure)
    const command = await peer.command(scratch)
    bench.azure.clearRequests()
    const result = await measure(command)
    const traffic = countTraffic(bench.azure.requests())
    const label = `${peer.id} ${scenario.id} run ${run + 1}`
    cell.error = await misbehaviour(result, peer.id, scratch, bench.fleet)
    if (cell.error) {
      // The whole output and the emulator's log by kind, for whoever looks into the failure.
      const log = join('.tmp', `bench-prune-${peer.id}-${scenario.id}-run${run + 1}.log`)
      await mkdir('.tmp', { recursive: true })
      await writeFile(
        log,
        `${result.stdout}\n--- stderr\n${result.stderr}\n--- emulator\n${JSON.stringify(traffic.byKind, null, 1)}\n`
      )
      console.log(`  ${label}: ${cell.error} (output and emulator log in ${log})`)
      return
    }
    cell.seconds.push(result.seconds)
    cell.traffic.push(traffic)
    console.log(
      `  ${label}: ${result.seconds.toFixed(2)} s, ${traffic.requests} requests, ${traffic.writes} writes, ${traffic.throttled} × 429`
    )
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Why a run does not count: it failed, the action reported failures, or the end state is wrong. */
async function misbehaviour(
  result: ProcessRun,
  id: PrunePeerId,
  scratch: string,
  fleet: PruneFleet
): Promise<string | undefined> {
  if (result.exitCode !== 0) return failure(result)
  if (id === 'action') {
    const counts = await actionCounts(scratch)
    if (!counts) return 'exited 0 without a deleted-count output'
    if (counts.failed !== 0 || counts.deleted !== fleet.deletions) {
      return `exited 0 with deleted-count ${counts.deleted} (expected ${fleet.deletions}) and failed-count ${counts.failed}`
    }
  }
  const wrong = await fleet.check()
  return wrong ? `exited 0 but ${wrong}` : undefined
}

/** What a failed client said: its ::error:: lines, else the end of its stderr. */
function failure({ stdout, stderr, exitCode }: ProcessRun): string {
  const errors = stdout
    .split('\n')
    .filter(line => line.startsWith('::error::'))
    .map(line => line.slice('::error::'.length))
  const said = errors.length > 0 ? errors.join(' ') : stderr.trim().split('\n').slice(-3).join(' ')
  return `exit ${exitCode}: ${said || '(nothing printed)'}`
}
