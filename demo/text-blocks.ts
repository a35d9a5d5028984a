// The shapes a job summary takes on a terminal: headings, aligned tables,
// rules and indented blocks. Both the HTML and the markdown side of the
// summary renderer draw with these, so both look alike.

import { padVisible, visibleWidth, type Style } from './terminal-style.js'

/** A block is its lines; blocks are printed with one blank line between them. */
export type Block = string[]

export function heading(level: number, text: string, style: Style): Block {
  const title = text.trim()
  if (level <= 2) {
    const mark = level === 1 ? '═' : '─'
    const styled = level === 1 ? style.bold(style.magenta(title)) : style.bold(title)
    return [styled, style.dim(mark.repeat(Math.max(3, visibleWidth(title))))]
  }
  return [style.bold(`▸ ${title}`)]
}

/**
 * Columns padded to their widest cell, two spaces apart, a rule under the
 * header. Rows may differ in length: missing cells are empty.
 */
export function table(header: string[] | undefined, rows: string[][], style: Style): Block {
  const all = header ? [header, ...rows] : rows
  const columns = Math.max(0, ...all.map(row => row.length))
  if (columns === 0) return []
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(...all.map(row => visibleWidth(row[c] ?? '')))
  )
  const line = (row: string[], bold: boolean): string =>
    widths
      .map((width, c) => {
        const cell = bold ? style.bold(row[c] ?? '') : (row[c] ?? '')
        return c === columns - 1 ? cell : padVisible(cell, width)
      })
      .join('  ')
      .trimEnd()
  const lines = rows.map(row => line(row, false))
  if (!header) return lines
  const underline = style.dim(widths.map(width => '─'.repeat(width)).join('  '))
  return [line(header, true), underline, ...lines]
}

export function rule(style: Style): Block {
  return [style.dim('─'.repeat(40))]
}

export function indent(lines: Block, prefix: string): Block {
  return lines.map(line => (line === '' ? prefix.trimEnd() : prefix + line))
}

/** Joins blocks with one blank line between them, dropping empty ones. */
export function joinBlocks(blocks: Block[]): Block {
  const out: string[] = []
  for (const block of blocks) {
    if (block.length === 0 || block.every(line => line.trim() === '')) continue
    if (out.length > 0) out.push('')
    out.push(...block)
  }
  return out
}

/** Inline code: coloured on a terminal, between backticks without colour. */
export function code(text: string, style: Style): string {
  return style.color ? style.cyan(text) : `\`${text}\``
}

/** A link shows its address, since a terminal cannot follow it from the label. */
export function link(label: string, url: string, style: Style): string {
  const text = label.trim()
  if (url === '' || url.startsWith('#') || text === url) return style.underline(text || url)
  return text === '' ? style.underline(url) : `${style.underline(text)} (${url})`
}
