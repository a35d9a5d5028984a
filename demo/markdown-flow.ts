// The markdown half of a job summary: headings, tables, lists, quotes, code
// fences and rules by line, then code spans, links and emphasis within a line.
// Inline HTML that sat in the markdown arrives already rendered, as
// placeholders into `parts`, so no markdown rule can touch its text. A
// placeholder is its index between two U+E000 (private use) characters,
// which renderSummary removes from what it is given.

import type { Style } from './terminal-style.js'
import { code, heading, indent, link, rule, table, type Block } from './text-blocks.js'

export const MARK = '\uE000'
const PLACEHOLDER = /\uE000(\d+)\uE000/g

/** Stores `rendered` and returns the mark that stands for it in markdown text. */
export function hold(parts: string[], rendered: string): string {
  parts.push(rendered)
  return `${MARK}${parts.length - 1}${MARK}`
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/
const RULE = /^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/
const DELIMITER_ROW = /^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$/
const LIST_ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/
const QUOTE = /^\s{0,3}>\s?(.*)$/

export function renderMarkdown(text: string, parts: string[], style: Style): Block[] {
  const lines = text.split(/\r?\n/)
  const inline = (line: string): string => renderInline(line, parts, style)
  const blocks: Block[] = []
  let paragraph: string[] = []
  const endParagraph = (): void => {
    if (paragraph.length > 0) blocks.push(paragraph)
    paragraph = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line.trim() === '') {
      endParagraph()
      continue
    }
    const fence = FENCE.exec(line)
    const headingMatch = HEADING.exec(line)
    if (fence) {
      endParagraph()
      const body: string[] = []
      for (i++; i < lines.length && !(lines[i] ?? '').trim().startsWith(fence[1] ?? ''); i++) {
        body.push(restore(lines[i] ?? '', parts))
      }
      blocks.push(indent(body, '  '))
    } else if (headingMatch) {
      endParagraph()
      blocks.push(heading(headingMatch[1]?.length ?? 1, inline(headingMatch[2] ?? ''), style))
    } else if (line.includes('|') && DELIMITER_ROW.test(lines[i + 1] ?? '')) {
      endParagraph()
      const header = cells(line).map(inline)
      const rows: string[][] = []
      for (i += 2; i < lines.length && (lines[i] ?? '').includes('|'); i++) {
        rows.push(cells(lines[i] ?? '').map(inline))
      }
      i--
      blocks.push(table(header, rows, style))
    } else if (RULE.test(line)) {
      endParagraph()
      blocks.push(rule(style))
    } else {
      paragraph.push(lineOf(line, inline))
    }
  }
  endParagraph()
  return blocks
}

// List items and quotes stay in their paragraph, so a list right under a
// line of text stays right under it.
function lineOf(line: string, inline: (text: string) => string): string {
  const item = LIST_ITEM.exec(line)
  if (item) {
    const [, depth = '', marker = '', rest = ''] = item
    const bullet = /^\d/.test(marker) ? marker : '•'
    return `${' '.repeat(Math.min(depth.length, 8))}${bullet} ${inline(rest)}`
  }
  const quote = QUOTE.exec(line)
  if (quote) return `│ ${inline(quote[1] ?? '')}`
  return inline(line.trim())
}

/** A table row's cells: split on pipes that are not escaped, the outer ones dropped. */
function cells(line: string): string[] {
  let row = line.trim()
  if (row.startsWith('|')) row = row.slice(1)
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1)
  return row.split(/(?<!\\)\|/).map(cell => cell.trim().replace(/\\\|/g, '|'))
}

export function renderInline(text: string, parts: string[], style: Style): string {
  const keep = (rendered: string): string => hold(parts, rendered)
  const out = text
    // Code spans first: nothing inside them is markdown.
    .replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, (_, _ticks: string, body: string) =>
      keep(code(body.trim(), style))
    )
    .replace(/\\([!-/:-@[-`{-~])/g, (_, char: string) => keep(char))
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, (_, alt: string) => keep(`[image${alt ? `: ${alt}` : ''}]`))
    .replace(
      /\[([^\]]+)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g,
      (_, label: string, url: string) => keep(link(restore(label, parts), url, style))
    )
    .replace(/<((?:https?|mailto):[^\s<>]+)>/g, (_, url: string) => keep(link(url, url, style)))
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, (_, _mark: string, body: string) => style.bold(body))
    .replace(/(?<![\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])/g, (_, body: string) =>
      style.italic(body)
    )
    .replace(/(?<![\w_])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\w_])/g, (_, body: string) =>
      style.italic(body)
    )
  return restore(out, parts)
}

/** Puts the held renderings back, including those held inside other held ones. */
export function restore(text: string, parts: string[]): string {
  let out = text
  for (let depth = 0; depth < 8 && out.includes(MARK); depth++) {
    out = out.replace(PLACEHOLDER, (_, index: string) => parts[Number(index)] ?? '')
  }
  return out
}
