// A job summary, as a step writes it to GITHUB_STEP_SUMMARY (GitHub-flavoured
// markdown mixed with the HTML of @actions/core's summary), drawn for a
// terminal: headings, tables as aligned columns, <details> with their
// <summary>, code, links and lists. Tags it does not know are dropped and
// their text kept, so nothing a step wrote goes missing.

import { parseHtml, textOf, type HtmlElement, type HtmlNode } from './html-tree.js'
import { hold, MARK, renderMarkdown } from './markdown-flow.js'
import { makeStyle, type Style } from './terminal-style.js'
import { code, heading, indent, joinBlocks, link, rule, table, type Block } from './text-blocks.js'

export interface RenderSummaryOptions {
  /** ANSI colours and emphasis; off by default. */
  color?: boolean
}

export function renderSummary(source: string, options: RenderSummaryOptions = {}): string {
  const style = makeStyle(options.color ?? false)
  // These mark held renderings and line breaks while rendering; none may come from outside.
  const nodes = parseHtml(source.split(MARK).join('').split(BREAK).join(''))
  return joinBlocks(blocksOf(nodes, style)).join('\n')
}

const BLOCK = new Set([
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'pre', 'table', 'details', 'summary', 'hr'],
  ...['ul', 'ol', 'li', 'dl', 'blockquote', 'div', 'section', 'article', 'header', 'footer'],
  ...['main', 'nav', 'figure', 'figcaption', 'center']
])
const HIDDEN = new Set(['script', 'style', 'head', 'title', 'template', 'noscript'])
// A <br> while whitespace is collapsed, a line break after (private use, like MARK).
const BREAK = '\uE001'

/** Block elements become blocks; the text and inline markup between them is markdown. */
function blocksOf(nodes: HtmlNode[], style: Style): Block[] {
  const blocks: Block[] = []
  let flow: HtmlNode[] = []
  const endFlow = (): void => {
    if (flow.length === 0) return
    const parts: string[] = []
    const text = flow
      .map(node => (node.kind === 'text' ? node.text : hold(parts, inline([node], style))))
      .join('')
    blocks.push(...renderMarkdown(text, parts, style))
    flow = []
  }
  for (const node of nodes) {
    if (node.kind === 'element' && HIDDEN.has(node.tag)) continue
    if (node.kind === 'element' && BLOCK.has(node.tag)) {
      endFlow()
      blocks.push(...blockOf(node, style))
    } else {
      flow.push(node)
    }
  }
  endFlow()
  return blocks
}

function blockOf(element: HtmlElement, style: Style): Block[] {
  const { tag, children } = element
  const level = /^h([1-6])$/.exec(tag)?.[1]
  if (level) return [heading(Number(level), inline(children, style), style)]
  switch (tag) {
    case 'p':
    case 'figcaption':
      return [inline(children, style).split('\n')]
    case 'pre':
      return [indent(preformatted(children), '  ')]
    case 'table':
      return [tableOf(element, style)]
    case 'details':
      return [details(element, style)]
    case 'summary':
      return [[style.bold(inline(children, style))]]
    case 'ul':
    case 'ol':
      return [list(element, style)]
    case 'li':
      return [[`• ${inline(children, style)}`]]
    case 'dl':
      return [definitions(element, style)]
    case 'blockquote':
      return [indent(joinBlocks(blocksOf(children, style)), '│ ')]
    case 'hr':
      return [rule(style)]
    default:
      return blocksOf(children, style)
  }
}

function preformatted(children: HtmlNode[]): Block {
  const text = textOf(children)
    .replace(/^\r?\n/, '')
    .replace(/\s+$/, '')
  return text.split(/\r?\n/)
}

// A terminal cannot fold, so the content is shown open, under its summary.
function details(element: HtmlElement, style: Style): Block {
  const summary = element.children.find(
    (child): child is HtmlElement => child.kind === 'element' && child.tag === 'summary'
  )
  const rest = element.children.filter(child => child !== summary)
  const title = summary ? inline(summary.children, style) : 'Details'
  return [style.bold(`▾ ${title}`), ...indent(joinBlocks(blocksOf(rest, style)), '  ')]
}

function tableOf(element: HtmlElement, style: Style): Block {
  const rows = rowsOf(element).map(row =>
    row.map(cell => ({
      header: cell.tag === 'th',
      text: inline(cell.children, style).replace(/\n/g, ' ')
    }))
  )
  const first = rows[0]
  const hasHeader = first !== undefined && first.length > 0 && first.every(cell => cell.header)
  const body = (hasHeader ? rows.slice(1) : rows).map(row => row.map(cell => cell.text))
  const caption = elements(element.children).find(child => child.tag === 'caption')
  const drawn = table(hasHeader ? first.map(cell => cell.text) : undefined, body, style)
  return caption ? [style.bold(inline(caption.children, style)), ...drawn] : drawn
}

/** The cells of every row, in order, whether or not they sit in thead, tbody or tfoot. */
function rowsOf(element: HtmlElement): HtmlElement[][] {
  return elements(element.children).flatMap(child => {
    if (child.tag === 'tr')
      return [elements(child.children).filter(c => c.tag === 'td' || c.tag === 'th')]
    return ['thead', 'tbody', 'tfoot'].includes(child.tag) ? rowsOf(child) : []
  })
}

function list(element: HtmlElement, style: Style): Block {
  const ordered = element.tag === 'ol'
  return elements(element.children)
    .filter(child => child.tag === 'li')
    .flatMap((item, i) => {
      const nested = elements(item.children).filter(c => c.tag === 'ul' || c.tag === 'ol')
      const own = item.children.filter(c => !nested.includes(c as HtmlElement))
      const bullet = ordered ? `${i + 1}.` : '•'
      return [
        `${bullet} ${inline(own, style)}`,
        ...nested.flatMap(n => indent(list(n, style), '  '))
      ]
    })
}

function definitions(element: HtmlElement, style: Style): Block {
  return elements(element.children).flatMap(child => {
    if (child.tag === 'dt') return [style.bold(inline(child.children, style))]
    return child.tag === 'dd' ? [`  ${inline(child.children, style)}`] : []
  })
}

function elements(nodes: HtmlNode[]): HtmlElement[] {
  return nodes.filter((node): node is HtmlElement => node.kind === 'element')
}

/** Inline content as one string: whitespace collapsed as a browser would, <br> kept as a line break. */
function inline(nodes: HtmlNode[], style: Style): string {
  return inlineRaw(nodes, style)
    .replace(/ *\uE001 */g, BREAK)
    .trim()
    .split(BREAK)
    .join('\n')
}

function inlineRaw(nodes: HtmlNode[], style: Style): string {
  return nodes.map(node => inlineNode(node, style)).join('')
}

function inlineNode(node: HtmlNode, style: Style): string {
  if (node.kind === 'text') return node.text.replace(/[ \t\r\n\f]+/g, ' ')
  const inner = (): string => inlineRaw(node.children, style)
  switch (node.tag) {
    case 'code':
    case 'kbd':
    case 'samp':
    case 'tt':
      return code(
        textOf(node.children)
          .replace(/[ \t\r\n\f]+/g, ' ')
          .trim(),
        style
      )
    case 'a':
      return link(inner().trim(), node.attributes.href ?? '', style)
    case 'strong':
    case 'b':
      return style.bold(inner())
    case 'em':
    case 'i':
      return style.italic(inner())
    case 'br':
      return BREAK
    case 'img':
      return node.attributes.alt ? `[image: ${node.attributes.alt}]` : '[image]'
    default:
      if (HIDDEN.has(node.tag)) return ''
      // A block inside inline content, such as a <p> in a table cell: its text, spaced.
      return BLOCK.has(node.tag) ? ` ${inner()} ` : inner()
  }
}
