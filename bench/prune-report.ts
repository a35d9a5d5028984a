// What the prune benchmark prints: a Markdown table per scenario (wall time
// against the raw limit, requests, writes and 429s from the emulator's log),
// how each figure was measured, and the ok/MISS verdict of each target.

import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Figures } from './figures.js'
import {
  medianOf,
  medianSeconds,
  type PruneCell,
  type PruneCells,
  type ScenarioId
} from './prune-cells.js'
import type { FleetSize } from './prune-fleet.js'
import type { PrunePeer, PrunePeerId } from './prune-peers.js'
import { machine } from './push-table.js'

export interface PruneScenario {
  id: ScenarioId
  /** How the table and the verdicts name it. */
  label: string
  /** What it sets on the emulator, in words for the notes. */
  detail: string
  /** The only clients it runs; all by default. */
  peers?: PrunePeerId[]
}

export const runsIn = (scenario: PruneScenario, peer: PrunePeer): boolean =>
  scenario.peers === undefined || scenario.peers.includes(peer.id)

export interface PruneCircumstances {
  size: FleetSize
  deletions: number
  runs: number
  concurrency: number
  /** The 1-minute load average when the runs began and when they ended. */
  load: { start: number; end: number }
  /** Which build of the action ran. */
  build: string
}

const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ')
const whole = (value: number): string => (Number.isFinite(value) ? String(Math.round(value)) : '–')

function row(cells: PruneCells, peer: PrunePeer, scenario: ScenarioId, deletions: number): string {
  const cell = cells.get(peer.id, scenario)
  if (!cell) return `| ${peer.label} | not run | | | | | |`
  if (cell.error) return `| ${peer.label} | failed: ${escape(cell.error).slice(0, 200)} | | | | | |`
  const seconds = medianSeconds(cell)
  const raw = cells.get('raw', scenario)
  const base = raw && !raw.error ? medianSeconds(raw) : NaN
  const ratio = Number.isFinite(base) ? ` (${(seconds / base).toFixed(2)}×)` : ''
  const writes = medianOf(cell, t => t.writes)
  const columns = [
    peer.label,
    `${time(seconds)}${ratio}`,
    cell.seconds.map(time).join(', '),
    whole(medianOf(cell, t => t.requests)),
    whole(writes),
    whole(medianOf(cell, t => t.throttled)),
    deletions > 0 ? (writes / deletions).toFixed(2) : '–'
  ]
  return `| ${columns.join(' | ')} |`
}

const time = (seconds: number): string => `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`

export function pruneTable(
  cells: PruneCells,
  scenarios: PruneScenario[],
  clients: PrunePeer[],
  c: PruneCircumstances
): string {
  const { repos, images, keep } = c.size
  const sections = scenarios.flatMap(scenario => [
    `### ${scenario.label}`,
    '',
    '| client | wall time | each run | requests | writes | 429s | writes / deleted image |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...clients
      .filter(peer => runsIn(scenario, peer))
      .map(peer => row(cells, peer, scenario.id, c.deletions)),
    ''
  ])
  return [
    `Nightly prune of ${repos} repositories × ${images} images, keeping ${keep} in each (${c.deletions} images to delete), through this repository's ACR emulator over HTTPS on loopback, ${new Date().toISOString().slice(0, 10)}, on ${machine()}.`,
    `Wall time, median of ${c.runs} runs, of the whole process from spawn to exit; in brackets, the ratio to the raw limit's in the same scenario. Requests, writes and 429s as the emulator logged them, medians of the runs. Every run ended with exactly the ${keep} newest images (and their tags) in each repository, read from the registry's storage, or it is shown as failed.`,
    '',
    ...sections,
    ...notes(scenarios, c).map(note => `- ${note}`),
    ''
  ].join('\n')
}

function notes(scenarios: PruneScenario[], c: PruneCircumstances): string[] {
  return [
    `Scenarios: ${scenarios.map(s => `${s.label}: ${s.detail}`).join('; ')}. Load average (1 min) at the start and end of the runs: ${c.load.start.toFixed(1)} and ${c.load.end.toFixed(1)} on ${availableParallelism()} cores.`,
    `Repositories: \`bench/app-NN\`, each image a manifest of its own over one config and one layer shared in the repository, tagged once, a minute apart; before every run whatever the last one deleted is pushed back straight to the registry (never through the emulator) with its old times. The clients take turns, each run starting with another one, after one untimed prune by the raw client (the emulator's code is compiled as it is first used).`,
    `This action: \`node dist/index.js\` with INPUT_* variables as the runner sets them (\`operation: prune\`, \`repository: bench/*\`, \`keep-count: ${c.size.keep}\`, \`max-deletions: ${c.deletions}\` (its default, 1,000, would hold back the rest with a warning), \`concurrency: ${c.concurrency}\`, OIDC: \`client-id\`, \`tenant-id\`, \`authority-host\`), signing in inside its process (runner ID token, Entra ID, exchange, access tokens); ${c.build}.`,
    `Raw limit: a bare undici client with one ACR access token for all repositories obtained before timing: the catalog, each repository's \`/acr/v1/…/_manifests?orderby=timedesc&n=1000\` (following Link), then one \`DELETE /v2/…/manifests/<digest>\` per image beyond the newest ${c.size.keep}, ${c.concurrency} at a time on keep-alive connections; a 429 waits its Retry-After and repeats that request only.`,
    `README script: \`@azure/container-registry\` ${sdkVersion()}, the README's "Delete images" example (listRepositoryNames, listManifestProperties newest first, deleteTag for each tag, then delete), every call awaited, one at a time; its credential hands out an Entra token obtained before timing, so its ACR sign-in (exchange, access tokens) is timed as the SDK does it. Its own pipeline retries 429s.`,
    "The emulator runs in the bench's process, so its work for every request shares one JavaScript thread; on each request it lists the repository's manifests and tags again from the registry's storage (a stat of each link file, a read of those that changed), so its own time per request grows with the repository's size. It is the same for every client; (c), where there is neither throttle nor latency, shows how long it takes for this work.",
    'Writes are POST, PUT, PATCH and DELETE to /v2/ and /acr/v1/ that passed the token check and the throttle, as the emulator counts them against its limit (token endpoints and 401 challenges excluded); a 429 is counted as a 429, not as a write.'
  ]
}

function sdkVersion(): string {
  const manifest = join('node_modules', '@azure', 'container-registry', 'package.json')
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
  } catch {
    return '(version unknown)'
  }
}

interface PruneGoal {
  name: string
  text: string
  unit: string
  inputs: Array<[PrunePeerId, ScenarioId]>
  value(cells: PruneCell[]): number
  met(value: number): boolean
}

const ratio = (cells: PruneCell[]): number =>
  medianSeconds(cells[0] as PruneCell) / medianSeconds(cells[1] as PruneCell)

function goals(scenarios: PruneScenario[], deletions: number): PruneGoal[] {
  return scenarios.flatMap(scenario => {
    if (scenario.id === 'pace') return []
    const list: PruneGoal[] = [
      {
        name: `prune ${scenario.label}: this action's time / raw limit's`,
        text: '<= 1.25',
        unit: '×',
        inputs: [
          ['action', scenario.id],
          ['raw', scenario.id]
        ],
        value: ratio,
        met: value => value <= 1.25
      },
      {
        name: `prune ${scenario.label}: this action's writes per deleted image (most of any run)`,
        text: '<= 1',
        unit: '',
        inputs: [['action', scenario.id]],
        value: ([cell]) => Math.max(...(cell as PruneCell).traffic.map(t => t.writes)) / deletions,
        met: value => value <= 1
      }
    ]
    if (scenario.id === 'latency') {
      list.push({
        name: `prune ${scenario.label}: README script's time / this action's`,
        text: '>= 8 (8× faster)',
        unit: '×',
        inputs: [
          ['sdk', scenario.id],
          ['action', scenario.id]
        ],
        value: ratio,
        met: value => value >= 8
      })
    }
    return list
  })
}

export function checkPruneTargets(
  figures: Figures,
  cells: PruneCells,
  scenarios: PruneScenario[],
  deletions: number
): void {
  for (const goal of goals(scenarios, deletions)) {
    const values = goal.inputs.map(([peer, scenario]) => cells.get(peer, scenario))
    const problem = values.map(cell => (cell ? cell.error : 'not run')).find(Boolean)
    if (problem) {
      figures.unmeasured(goal.name, goal.text, problem)
      continue
    }
    const value = goal.value(values as PruneCell[])
    figures.record(goal.name, value, goal.unit, goal.text, goal.met(value))
  }
}
