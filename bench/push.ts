// The push benchmark: in one run, side by side, this action, skopeo, the raw
// limit and the @azure/container-registry SDK push one big file and many
// small files to the real registry on loopback, each first into a fresh
// repository and then again unchanged. Runs interleave the clients so that
// drift on the machine spreads over all of them.

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startAcrEmulator } from '../test/emulators/acr/index.js'
import { generateSigningKey, signJwt } from '../test/emulators/jwt.js'
import { startRegistry } from '../test/rig/registry.js'
import { snapshotBuild } from './action-build.js'
import type { Figures } from './figures.js'
import { measure } from './measure.js'
import { makeContent, sizeLabel, type PushContent } from './push-content.js'
import {
  peers,
  sdkWithoutEmulator,
  skopeoCacheFile,
  type Peer,
  type PeerSetup,
  type PushTarget
} from './push-peers.js'
import { Cells, columnOf } from './push-cells.js'
import { checkTargets, pushTable } from './push-report.js'
import { verifyPushed } from './push-verify.js'

const CONCURRENCY = 8
const TAG = 'v1'

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
  const only = (process.env.BENCH_PEERS ?? 'action,skopeo,raw,sdk').split(',')
  return {
    bigMiB: whole('BENCH_BIG_MIB', 1024),
    fileCount: whole('BENCH_FILES', 200),
    runs: whole('BENCH_RUNS', 5),
    only: new Set(only.map(s => s.trim()))
  }
}

export async function pushFigures(figures: Figures): Promise<void> {
  const s = settings()
  const work = await mkdtemp(join(tmpdir(), 'acr-bench-push-'))
  const registry = await startRegistry()
  try {
    const acr = await startAcrEmulator({ registry })
    try {
      const build = await snapshotBuild(work)
      console.log(`push bench: generating ${sizeLabel(s.bigMiB)} and ${s.fileCount} × 1 MiB`)
      const contents = await makeContents(work, s)
      const token = signJwt(
        { oid: 'bench', tid: 'bench', exp: Math.floor(Date.now() / 1000) + 4 * 3600 },
        generateSigningKey('entra')
      )
      const setup: PeerSetup = {
        actionEntry: build.entry,
        registryUrl: registry.url,
        registryHost: registry.host,
        concurrency: CONCURRENCY,
        acr: { url: acr.url, caFile: acr.caFile, token }
      }
      const clients = peers(setup).filter(peer => s.only.has(peer.id))
      const bench: Bench = { cells: new Cells(), registryUrl: registry.url, work }
      // Other work on the machine shows in the figures; the table says how much there was.
      const loadAtStart = loadavg()[0] ?? NaN
      for (let run = 0; run < s.runs; run++) {
        for (const content of contents) {
          // Each run starts with another client, so no client always follows the same one.
          const order = clients.map((_, i) => clients[(i + run) % clients.length] as Peer)
          for (const peer of order) await pushTwice(bench, peer, content, run)
        }
      }
      const load = { start: loadAtStart, end: loadavg()[0] ?? NaN }
      const sdkStraight = s.only.has('sdk')
        ? await sdkStraightToRegistry(bench, sdkWithoutEmulator(setup), contents[1] as PushContent)
        : undefined
      const table = pushTable(bench.cells, contents, clients, {
        runs: s.runs,
        load,
        sdkStraight,
        build: build.id
      })
      console.log(`\n${table}`)
      await mkdir('.tmp', { recursive: true })
      await writeFile(join('.tmp', 'bench-push.md'), table)
      checkTargets(figures, bench.cells, contents)
    } finally {
      await acr.stop()
    }
  } finally {
    await registry.stop()
    await rm(work, { recursive: true, force: true })
  }
}

async function makeContents(work: string, s: Settings): Promise<PushContent[]> {
  const big = [{ name: 'big.bin', mib: s.bigMiB }]
  const many = Array.from({ length: s.fileCount }, (_, i) => ({
    name: `f${String(i).padStart(4, '0')}.bin`,
    mib: 1
  }))
  return [
    await makeContent(join(work, 'big'), 'big', sizeLabel(s.bigMiB), big, 'big.bin'),
    await makeContent(join(work, 'many'), 'many', `${s.fileCount} × 1 MiB`, many, '*')
  ]
}

interface Bench {
  cells: Cells
  registryUrl: string
  /** Where each run's own scratch folder goes. */
  work: string
}

/** One first push into a fresh repository, then the same again, unless an earlier run failed. */
async function pushTwice(
  bench: Bench,
  peer: Peer,
  content: PushContent,
  run: number
): Promise<void> {
  const repository = `bench/${peer.id}-${content.id}-${run}`
  for (const again of [false, true]) {
    const cell = bench.cells.at(peer.id, columnOf(content, again))
    if (cell.error) return
    const scratch = await mkdtemp(join(bench.work, 'run-'))
    try {
      const target: PushTarget = { content, repository, tag: TAG, again, scratch }
      const command = await peer.command(target)
      // Data the last push left to write back must not slow this one.
      execFileSync('sync')
      const result = await measure(command)
      if (result.exitCode !== 0) {
        cell.error = failure(result.stdout, result.stderr, result.exitCode)
      } else if (peer.id === 'skopeo' && !existsSync(skopeoCacheFile(scratch))) {
        cell.error =
          'skopeo did not use the fresh blob-info cache, so its figures would not be fair'
      } else if (run === 0) {
        const missing = await verifyPushed(bench.registryUrl, repository, TAG, content)
        if (missing) cell.error = `exited 0 but ${missing}`
      }
      if (cell.error) {
        console.log(`  ${peer.id} ${columnOf(content, again)} run ${run + 1}: ${cell.error}`)
        if (!again) bench.cells.at(peer.id, columnOf(content, true)).error = 'the first push failed'
        return
      }
      cell.seconds.push(result.seconds)
      cell.peakRss.push(result.peakRss)
      const mb = Math.round(result.peakRss / 1e6)
      console.log(
        `  ${peer.id} ${columnOf(content, again)} run ${run + 1}: ${result.seconds.toFixed(3)} s, ${mb} MB`
      )
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
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

/** Why the SDK goes through the emulator: what it says when pointed at the registry itself. */
async function sdkStraightToRegistry(
  bench: Bench,
  sdk: Peer,
  content: PushContent
): Promise<string> {
  const scratch = await mkdtemp(join(bench.work, 'run-'))
  try {
    const repository = 'bench/sdk-straight'
    const target: PushTarget = { content, repository, tag: TAG, again: false, scratch }
    const result = await measure(await sdk.command(target))
    return result.exitCode === 0 ? 'it pushes' : `it fails: ${result.stderr.trim()}`
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
