// The push benchmark's results as a Markdown table for the README, with the
// machine and date it was measured on.

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import type { Cell } from './push-cells.js'
import type { PeerId } from './push-peers.js'

export interface Column {
  key: string
  label: string
}

export interface TableInput {
  columns: Column[]
  rows: Array<{ id: PeerId; label: string }>
  cell(peer: PeerId, column: string): Cell | undefined
  median(cell: Cell): number
  runs: number
  notes: string[]
}

const MB = 1e6

export function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU'
  const memory = Math.round(totalmem() / 2 ** 30)
  return `${availableParallelism()} × ${model}, ${memory} GiB, Linux, Node ${process.version}`
}

/** A tool's first line of `--version`, or why it has none. */
export function version(file: string, args = ['--version']): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8' }).trim().split('\n')[0] ?? ''
  } catch {
    return `${file}: not found`
  }
}

const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ')

function timeCell(input: TableInput, peer: PeerId, column: string): string {
  const cell = input.cell(peer, column)
  if (!cell) return 'not run'
  if (cell.error) return `failed: ${escape(cell.error).slice(0, 160)}`
  const seconds = input.median(cell)
  const raw = input.cell('raw', column)
  const base = raw && !raw.error ? input.median(raw) : NaN
  const ratio = Number.isFinite(base) ? ` (${(seconds / base).toFixed(2)}×)` : ''
  return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s${ratio}`
}

function rssCell(input: TableInput, peer: PeerId, column: string): string {
  const cell = input.cell(peer, column)
  if (!cell || cell.error || cell.peakRss.length === 0) return '–'
  return `${Math.round(Math.max(...cell.peakRss) / MB)} MB`
}

export function renderTable(input: TableInput, date: Date): string {
  const header = `| client | ${input.columns.map(c => c.label).join(' | ')} |`
  const rule = `|---|${input.columns.map(() => '---:').join('|')}|`
  const rows = (render: (peer: PeerId, column: string) => string) =>
    input.rows.map(
      row => `| ${row.label} | ${input.columns.map(c => render(row.id, c.key)).join(' | ')} |`
    )
  return [
    `Push to the CNCF distribution registry on loopback, ${date.toISOString().slice(0, 10)}, on ${machine()}.`,
    `Wall time, median of ${input.runs} runs, of the whole process from spawn to exit; in brackets, the ratio to the raw limit of the same column.`,
    '',
    header,
    rule,
    ...rows((peer, column) => timeCell(input, peer, column)),
    '',
    'Peak resident memory of the measured process (the largest of its runs):',
    '',
    header,
    rule,
    ...rows((peer, column) => rssCell(input, peer, column)),
    '',
    ...input.notes.map(note => `- ${note}`),
    ''
  ].join('\n')
}
