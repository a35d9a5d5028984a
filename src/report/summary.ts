// The one job-summary builder. Operations hand over a Report; this renders it.
// Cells are escaped: tags and annotations come from the registry, not from us.

import * as core from '@actions/core'
import type { Report, ReportTable } from './model.js'

const defaultRowLimit = 200

export async function writeSummary(report: Report): Promise<void> {
  const summary = core.summary.addHeading(escape(report.title), 2)
  if (report.facts.length > 0) {
    summary.addTable([
      [
        { data: 'Item', header: true },
        { data: 'Value', header: true }
      ],
      ...report.facts.map(([key, value]) => [escape(key), code(value)])
    ])
  }
  for (const table of report.tables) addTable(table)
  if (report.details && report.details.lines.length > 0) {
    const shown = report.details.lines.slice(0, 1000)
    const more = report.details.lines.length - shown.length
    core.summary.addDetails(
      escape(report.details.summary),
      `<pre>${shown.map(escape).join('\n')}${more > 0 ? `\n${more} more: the result output has them all` : ''}</pre>`
    )
  }
  await summary.write()
}

function addTable(table: ReportTable): void {
  const limit = table.limit ?? defaultRowLimit
  const rows = table.rows.slice(0, limit)
  core.summary.addHeading(escape(table.caption), 3)
  if (rows.length === 0) {
    core.summary.addRaw('<p>none</p>', true)
    return
  }
  core.summary.addTable([
    table.header.map(data => ({ data: escape(data), header: true })),
    ...rows.map(row => row.map(cell => escape(cell)))
  ])
  if (table.rows.length > limit) {
    core.summary.addRaw(
      `<p>${table.rows.length - limit} more not shown; the result output has them all.</p>`,
      true
    )
  }
}

function code(value: string): string {
  return `<code>${escape(value)}</code>`
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}
