// A forgiving reader for the HTML that job summaries hold: what
// @actions/core's summary writes, plus whatever raw HTML a step adds. It
// never throws: a stray or unclosed tag is kept as far as it makes sense and
// otherwise ignored, because a summary is shown, not validated.

export type HtmlNode = HtmlText | HtmlElement

export interface HtmlText {
  kind: 'text'
  /** Entities decoded. */
  text: string
}

export interface HtmlElement {
  kind: 'element'
  /** Lowercase. */
  tag: string
  attributes: Record<string, string>
  children: HtmlNode[]
}

// Elements that never have content, so need no closing tag.
const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr', 'col', 'source'])

const TAG =
  /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>/y
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g
const COMMENT = /<!--[\s\S]*?(?:-->|$)/y

export function parseHtml(source: string): HtmlNode[] {
  const root: HtmlElement = { kind: 'element', tag: '#root', attributes: {}, children: [] }
  const open: HtmlElement[] = [root]
  const current = (): HtmlElement => open[open.length - 1] as HtmlElement
  let text = ''
  const flush = (): void => {
    if (text !== '') current().children.push({ kind: 'text', text: decodeEntities(text) })
    text = ''
  }
  let i = 0
  while (i < source.length) {
    const lt = source.indexOf('<', i)
    if (lt < 0) {
      text += source.slice(i)
      break
    }
    text += source.slice(i, lt)
    COMMENT.lastIndex = lt
    const comment = COMMENT.exec(source)
    if (comment) {
      i = lt + comment[0].length
      continue
    }
    TAG.lastIndex = lt
    const match = TAG.exec(source)
    if (!match) {
      // A lone `<`, as in `a < b`: text.
      text += '<'
      i = lt + 1
      continue
    }
    i = lt + match[0].length
    const [, closing, name = '', attributeText = '', selfClosing] = match
    const tag = name.toLowerCase()
    flush()
    if (closing) {
      close(open, tag)
      continue
    }
    const element: HtmlElement = {
      kind: 'element',
      tag,
      attributes: parseAttributes(attributeText),
      children: []
    }
    current().children.push(element)
    if (!VOID.has(tag) && !selfClosing) open.push(element)
  }
  flush()
  return root.children
}

const HEADING = /^h[1-6]$/

/**
 * Closes the innermost open `tag` and everything opened inside it; an
 * unmatched close is dropped. As in browsers, any heading's end tag ends
 * whichever heading is open.
 */
function close(open: HtmlElement[], tag: string): void {
  const matches = (name: string | undefined): boolean =>
    name === tag || (HEADING.test(tag) && HEADING.test(name ?? ''))
  for (let depth = open.length - 1; depth > 0; depth--) {
    if (matches(open[depth]?.tag)) {
      open.length = depth
      return
    }
  }
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {}
  for (const match of text.matchAll(ATTRIBUTE)) {
    const [, name = '', double, single, bare] = match
    attributes[name.toLowerCase()] = decodeEntities(double ?? single ?? bare ?? '')
  }
  return attributes
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  rarr: '→',
  larr: '←',
  times: '×',
  middot: '·',
  copy: '©'
}

export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#')) {
      const hex = body[1] === 'x' || body[1] === 'X'
      const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10)
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return NAMED[body] ?? whole
  })
}

/** The text of a subtree, markup dropped. */
export function textOf(nodes: HtmlNode[]): string {
  return nodes.map(node => (node.kind === 'text' ? node.text : textOf(node.children))).join('')
}
