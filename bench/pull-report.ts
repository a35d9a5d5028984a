// The pull benchmark's results as a Markdown table, with the machine, the
// date, the load on the machine and how each client was run.

import { availableParallelism } from 'node:os'
import { median, rssSource } from './measure.js'
import type { PullCells } from './pull-cells.js'
import type { PullContent } from './pull-content.js'
import type { PullPeer } from './pull-peers.js'
import { machine, version } from './push-table.js'
import { warmMemoryNote } from './warm-memory.js'

export interface PullCircumstances {
  runs: number
  /** The 1-minute load average when the runs began and when they ended. */
  load: { start: number; end: number }
  /** Which build of the action ran. */
  build: string
  concurrency: number
}

const MB = 1e6
const MiB = 2 ** 20

const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ')

export function pullTable(
  cells: PullCells,
  contents: PullContent[],
  clients: PullPeer[],
  circumstances: PullCircumstances,
  date = new Date()
): string {
  const header = `| client | ${contents.map(c => c.label).join(' | ')} |`
  const rule = `|---|${contents.map(() => '---:').join('|')}|`
  const table = (render: (peer: PullPeer, content: PullContent) => string): string[] => [
    header,
    rule,
    ...clients.map(peer => `| ${peer.label} | ${contents.map(c => render(peer, c)).join(' | ')} |`)
  ]
  // A cell to show, or the word for why there is none.
  const measured = (peer: PullPeer, content: PullContent) => {
    if (!peer.pulls(content)) return { text: 'n/a' }
    const cell = cells.get(peer.id, content.id)
    if (!cell) return { text: 'not run' }
    if (cell.error) return { text: `failed: ${escape(cell.error).slice(0, 160)}` }
    if (cell.seconds.length === 0) return { text: 'not run' }
    return { cell }
  }
  const time = (peer: PullPeer, content: PullContent): string => {
    const { cell, text } = measured(peer, content)
    if (!cell) return text
    const seconds = median(cell.seconds)
    const raw = cells.get('raw', content.id)
    const base = raw && !raw.error ? median(raw.seconds) : NaN
    const ratio = Number.isFinite(base) ? ` (${(seconds / base).toFixed(2)}×)` : ''
    const bytes = content.layers.reduce((sum, l) => sum + l.size, 0)
    const rate = Math.round(bytes / MiB / seconds)
    return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s${ratio}, ${rate} MiB/s`
  }
  const spread = (peer: PullPeer, content: PullContent): string => {
    const { cell, text } = measured(peer, content)
    if (!cell) return text
    const low = Math.min(...cell.seconds).toFixed(2)
    return `${low}–${Math.max(...cell.seconds).toFixed(2)} s (${cell.seconds.length} runs)`
  }
  const rss = (peer: PullPeer, content: PullContent): string => {
    const { cell, text } = measured(peer, content)
    if (!cell) return text === 'n/a' ? text : '–'
    return `${Math.round(Math.max(...cell.peakRss) / MB)} MB`
  }
  return [
    `Pull from the CNCF distribution registry on loopback, ${date.toISOString().slice(0, 10)}, on ${machine()}.`,
    `Wall time, median of ${circumstances.runs} runs, of the whole process from spawn to exit; in brackets, the ratio to the raw limit of the same column; then the content's size over that time.`,
    '',
    ...table(time),
    '',
    'Fastest and slowest run:',
    '',
    ...table(spread),
    '',
    'Peak resident memory of the measured process (the largest of its runs):',
    '',
    ...table(rss),
    '',
    ...notes(circumstances).map(note => `- ${note}`),
    ''
  ].join('\n')
}

function notes({ load, build, concurrency }: PullCircumstances): string[] {
  return [
    `Registry: ${version('docker-registry')}, plain HTTP on 127.0.0.1, storage on disk (its blobs in the page cache: they were pushed just before). Load average (1 min) at the start and end of the pull runs: ${load.start.toFixed(1)} and ${load.end.toFixed(1)} on ${availableParallelism()} cores; the machine is shared, so other work shows in the figures.`,
    "Content: random bytes, different in every file, one titled layer a file (`org.opencontainers.image.title`, media type `application/vnd.oci.image.layer.v1.tar`), pushed once before the runs by the raw push client; nothing is dropped from the registry between runs. Every run pulls into a fresh folder, which is removed after it; `sync` before every run. The clients take turns, each run starting with another one. Each client's first run of each content was compared byte for byte (cmp) with the originals.",
    `This action: \`node dist/index.js\` with INPUT_* variables as the runner sets them (\`operation: pull\`, \`format: files\`, \`path\`: a fresh folder), default concurrency (${concurrency}); ${build}. With \`cache: true\`, RUNNER_TOOL_CACHE is a fresh empty folder every run, so its row is the cost of filling the cache (every blob written twice), not of reading it.`,
    `skopeo: ${version('skopeo')}, \`copy --preserve-digests --src-tls-verify=false docker://… oci:<fresh folder>:v1\`; it fetches 6 layers at a time (fixed in this version); an empty blob-info cache every run, as on a fresh runner.`,
    `Raw limit: a bare undici client, one manifest GET, then one GET per blob over keep-alive connections, ${concurrency} at a time, largest first, each body streamed to its file while hashed (sha256) and its digest checked.`,
    "Floor: `curl -fsS -o` of the single blob, then `sha256sum` of the file compared with its digest, one after the other in one shell; a single stream, so only the one-blob column has it. The row below it is the same `curl -o` without the hash: the gap between the two is what coreutils' `sha256sum` takes, which does not use the CPU's SHA instructions (OpenSSL, which node hashes with, does).",
    warmMemoryNote,
    `Peak memory from ${rssSource}.`
  ]
}
