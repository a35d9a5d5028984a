// What the push benchmark prints: the Markdown table with how each figure
// was measured, and the ok/MISS verdict of each target.

import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Figures } from './figures.js'
import { median, rssSource } from './measure.js'
import { columnOf, type Cell, type Cells } from './push-cells.js'
import type { PushContent } from './push-content.js'
import type { Peer } from './push-peers.js'
import { renderTable, version } from './push-table.js'
import { pushTargets } from './push-targets.js'

export interface Circumstances {
  runs: number
  /** The 1-minute load average when the runs began and when they ended. */
  load: { start: number; end: number }
  /** Which build of the action ran. */
  build: string
  /** What the SDK did when pointed at the registry itself, if it was tried. */
  sdkStraight?: string
}

export function pushTable(
  cells: Cells,
  contents: PushContent[],
  clients: Peer[],
  circumstances: Circumstances
): string {
  const columns = contents.flatMap(content => [
    { key: columnOf(content, false), label: content.label },
    { key: columnOf(content, true), label: `${content.label} again` }
  ])
  return renderTable(
    {
      columns,
      rows: clients.map(peer => ({ id: peer.id, label: peer.label })),
      cell: (peer, column) => cells.get(peer, column),
      median: cell => median(cell.seconds),
      runs: circumstances.runs,
      notes: notes(circumstances)
    },
    new Date()
  )
}

export function checkTargets(figures: Figures, cells: Cells, contents: PushContent[]): void {
  for (const target of pushTargets(contents)) {
    const values = target.inputs.map(([peer, column]) => cells.get(peer, column))
    const problem = values.map(cell => (cell ? cell.error : 'not run')).find(Boolean)
    if (problem) {
      figures.unmeasured(target.name, target.text, problem)
      continue
    }
    const value = target.value(values as Cell[])
    figures.record(target.name, value, target.unit, target.text, target.met(value))
  }
}

function notes({ load, sdkStraight, build }: Circumstances): string[] {
  const straight = sdkStraight ? ` Pointed at the registry itself, ${sdkStraight}` : ''
  return [
    `Registry: ${version('docker-registry')}, plain HTTP on 127.0.0.1, storage on disk; \`sync\` before every run. Load average (1 min) at the start and end of the push runs: ${load.start.toFixed(1)} and ${load.end.toFixed(1)} on ${availableParallelism()} cores.`,
    'Each first push goes to a repository of its own; "again" pushes the same content to the same repository. Content: random bytes, different in every file; digests computed before timing. Each file is one layer. The clients take turns, each run starting with another one.',
    `This action: \`node dist/index.js\` with INPUT_* variables as the runner sets them (\`operation: push\`, \`files: big.bin\` or \`*\`), default concurrency; ${build}.`,
    `skopeo: ${version('skopeo')}, \`copy --preserve-digests --dest-tls-verify=false\` from an OCI layout holding the same files as layers (byte for byte, hard links) and an empty config; it copies 6 layers at a time (fixed in this version); an empty blob-info cache every run, as on a fresh runner.`,
    'Raw limit: a bare undici client, per blob one POST and one streamed PUT `?digest=`, keep-alive, 8 at a time, then the manifest PUT; again: one HEAD per blob, then the manifest PUT.',
    `SDK: \`@azure/container-registry\` ${sdkVersion()}, over HTTPS to this repository's ACR emulator in front of the same registry, so its times include TLS and the emulator's forwarding. Against the registry itself it cannot work: it cuts the first character off each upload Location, which only fits the relative ones ACR sends, and its bearer-token policy refuses plain-HTTP URLs.${straight} It uploads 4 MiB PATCH chunks one after another per blob, and it has no call to ask whether a blob exists, so "again" uploads everything again.`,
    `Peak memory from ${rssSource}.`
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
