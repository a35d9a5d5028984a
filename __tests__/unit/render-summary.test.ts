// The demo's terminal rendering of a job summary. Most inputs are made by the
// real @actions/core summary builder, so the HTML is exactly what a step
// writes; the rest is markdown and hand-written HTML as other actions add it.

import { afterEach, describe, expect, it } from '@jest/globals'
import { summary } from '@actions/core'
import { renderSummary } from '../../demo/render-summary.js'

const ESC = '\u001b'
// eslint-disable-next-line no-control-regex -- the escape character is what it finds
const ANSI = /\u001b\[[0-9;]*m/g

afterEach(() => {
  summary.emptyBuffer()
})

const lines = (text: string): string[] => text.split('\n')
const visible = (text: string): string => text.replace(ANSI, '')

describe('HTML from @actions/core summary', () => {
  it('draws a heading and a table as aligned columns under a header rule', () => {
    const html = summary
      .addHeading('Pushed demo/site', 2)
      .addTable([
        [
          { data: 'Title', header: true },
          { data: 'Size', header: true }
        ],
        ['readme.txt', '48 B'],
        ['site', '315 B']
      ])
      .stringify()
    expect(lines(renderSummary(html))).toEqual([
      'Pushed demo/site',
      '────────────────',
      '',
      'Title       Size',
      '──────────  ─────',
      'readme.txt  48 B',
      'site        315 B'
    ])
  })

  it('shows a details block open: its summary, then the content indented', () => {
    const html = summary
      .addHeading('Prune', 3)
      .addDetails('Deleted (2)', '<pre>registry/a@sha256:1\nregistry/b@sha256:2</pre>')
      .stringify()
    expect(lines(renderSummary(html))).toEqual([
      '▸ Prune',
      '',
      '▾ Deleted (2)',
      '    registry/a@sha256:1',
      '    registry/b@sha256:2'
    ])
  })

  it('marks code and keeps a link’s address, since a terminal cannot follow the label', () => {
    const html = summary
      .addRaw('<p>Digest <code>sha256:abc</code>, see ')
      .addLink('the docs', 'https://example.com/docs')
      .addRaw('</p>')
      .stringify()
    expect(renderSummary(html)).toBe('Digest `sha256:abc`, see the docs (https://example.com/docs)')
  })

  it('decodes the entities the action escapes cells with', () => {
    const html = summary
      .addTable([
        [{ data: 'Tag', header: true }],
        ['team&#47;&#42; &#60;none&#62; &amp; &#x27;x&#x27;']
      ])
      .stringify()
    expect(lines(renderSummary(html))).toEqual(['Tag', '─'.repeat(19), "team/* <none> & 'x'"])
  })

  it('keeps the text of tags it does not know, and drops scripts, styles and comments', () => {
    const html =
      '<div><span class="x">kept</span> <foo bar="1">also kept</foo><!-- gone --></div>' +
      '<script>alert(1)</script><style>p { color: red }</style><img src="a.png" alt="logo">'
    expect(renderSummary(html)).toBe('kept also kept\n\n[image: logo]')
  })

  it('draws lists with bullets and numbers, nested ones indented', () => {
    const html = summary
      .addList(['one', 'two'])
      .addList(['first', 'second'], true)
      .addRaw('<ul><li>outer<ul><li>inner</li></ul></li></ul>')
      .stringify()
    expect(lines(renderSummary(html))).toEqual([
      '• one',
      '• two',
      '',
      '1. first',
      '2. second',
      '',
      '• outer',
      '  • inner'
    ])
  })

  it('survives broken markup: an unclosed tag, a stray close, a lone angle bracket', () => {
    const html = '<h2>Title</h3><p>a < b</b> and <code>c'
    expect(lines(renderSummary(html))).toEqual(['Title', '─────', '', 'a < b and `c`'])
  })
})

describe('markdown', () => {
  it('renders headings, code spans, links, emphasis and escapes', () => {
    const md =
      '# Release\n\nPushed `v1` to [the registry](https://r.example) **now**, *quietly*; a\\*b'
    expect(lines(renderSummary(md))).toEqual([
      'Release',
      '═══════',
      '',
      'Pushed `v1` to the registry (https://r.example) now, quietly; a*b'
    ])
  })

  it('draws a pipe table as aligned columns, with escaped pipes kept in their cell', () => {
    const md = '| Image | Decision |\n|---|:-:|\n| build-1 | delete |\n| a\\|b | keep |\n\nafter'
    expect(lines(renderSummary(md))).toEqual([
      'Image    Decision',
      '───────  ────────',
      'build-1  delete',
      'a|b      keep',
      '',
      'after'
    ])
  })

  it('keeps fenced code as written, markup and all', () => {
    const md = 'before\n```\n**not bold** `x`\n```\nafter'
    expect(lines(renderSummary(md))).toEqual(['before', '', '  **not bold** `x`', '', 'after'])
  })

  it('leaves globs and lone asterisks alone', () => {
    expect(renderSummary('prune team/* and **/*.tmp, 2 * 3')).toBe(
      'prune team/* and **/*.tmp, 2 * 3'
    )
  })

  it('mixes with HTML blocks in one summary, as steps that use both write it', () => {
    const source =
      '## Plan\n\n<table><tr><th>A</th></tr><tr><td><b>1</b></td></tr></table>\n\n- done'
    expect(lines(renderSummary(source))).toEqual(['Plan', '────', '', 'A', '─', '1', '', '• done'])
  })
})

describe('colour', () => {
  const source = (): string =>
    summary
      .addHeading('Title', 2)
      .addTable([
        [
          { data: 'Name', header: true },
          { data: 'Value', header: true }
        ],
        ['digest', '<code>sha256:abc</code>'],
        ['a much longer name', '<code>x</code>']
      ])
      .stringify()

  it('is off by default: no escape codes, code between backticks', () => {
    const text = renderSummary(source())
    expect(text).not.toContain(ESC)
    expect(text).toContain('`sha256:abc`')
  })

  it('when on, emphasises headings and colours code instead of quoting it', () => {
    const text = renderSummary(source(), { color: true })
    expect(text).toContain(`${ESC}[1mTitle${ESC}[22m`)
    expect(text).toContain(`${ESC}[36msha256:abc${ESC}[39m`)
    expect(text).not.toContain('`')
  })

  it('aligns columns by what shows, not by the escape codes', () => {
    const [header = '', , first = '', second = ''] = lines(renderSummary(source(), { color: true }))
      .slice(3)
      .map(visible)
    // The widest name and two spaces.
    const column = 'a much longer name'.length + 2
    expect(header.indexOf('Value')).toBe(column)
    expect(first.indexOf('sha256:abc')).toBe(column)
    expect(second.slice(column)).toBe('x')
  })
})
