// What a workflow run's log shows for a step's output, drawn for a terminal.
// The runner reads workflow commands (`::group::`, `::warning::`, ...) out of
// the stream instead of printing them; this does the same: groups become an
// indented heading, annotations a labelled line, `::add-mask::` lines vanish
// and their values print as *** from then on, in stdout and stderr alike.

import type { Style } from './terminal-style.js'

const COMMAND = /^::([a-zA-Z-]+)(?: ([^:]*))?::(.*)$/

export class WorkflowLog {
  private depth = 0
  private masks: string[] = []
  /** While set, commands are printed as text until this token ends them (`::stop-commands::`). */
  private stopToken: string | undefined

  constructor(
    private readonly style: Style,
    private readonly print: (line: string) => void
  ) {}

  /** One line from the step, as it arrives. */
  line(raw: string, stream: 'stdout' | 'stderr'): void {
    const command = COMMAND.exec(raw)
    if (this.stopToken !== undefined) {
      if (command?.[1] === this.stopToken) this.stopToken = undefined
      else this.show(raw, stream)
      return
    }
    if (!command) return this.show(raw, stream)
    const [, name = '', properties, data = ''] = command
    const message = unescapeData(data)
    switch (name.toLowerCase()) {
      case 'add-mask':
        return this.mask(message)
      case 'group':
        this.emit(this.style.bold(`▸ ${message}`))
        this.depth++
        return
      case 'endgroup':
        this.depth = Math.max(0, this.depth - 1)
        return
      case 'error':
        return this.annotate('error', this.style.red, message, properties)
      case 'warning':
        return this.annotate('warning', this.style.yellow, message, properties)
      case 'notice':
        return this.annotate('notice', this.style.cyan, message, properties)
      case 'debug':
      case 'echo':
      case 'save-state':
      case 'set-output':
        // The runner shows debug lines only with step debugging on, and the rest never.
        return
      case 'stop-commands':
        this.stopToken = message
        return
      default:
        this.show(raw, stream)
    }
  }

  /** A value that must never be shown, as if the step had masked it. */
  mask(secret: string): void {
    if (secret === '') return
    this.masks.push(secret)
    this.masks.sort((a, b) => b.length - a.length)
  }

  private annotate(
    label: string,
    color: (text: string) => string,
    message: string,
    properties: string | undefined
  ): void {
    const where = location(properties)
    const [first = '', ...rest] = message.split(/\r?\n/)
    this.emit(`${color(this.style.bold(`${label}:`))} ${first}${where}`)
    for (const line of rest) this.emit(`${' '.repeat(label.length + 2)}${line}`)
  }

  private show(text: string, stream: 'stdout' | 'stderr'): void {
    this.emit(stream === 'stderr' ? this.style.dim(text) : text)
  }

  /** `text` with every masked value replaced by ***, as the runner shows it. */
  redact(text: string): string {
    let shown = text
    for (const secret of this.masks) shown = shown.split(secret).join('***')
    return shown
  }

  private emit(text: string): void {
    this.print(`${'  '.repeat(this.depth)}${this.redact(text)}`)
  }
}

/** `file=a.ts,line=3,title=x` as ` (a.ts:3, x)`, or nothing. */
function location(properties: string | undefined): string {
  if (!properties) return ''
  const values = Object.fromEntries(
    properties.split(',').map(pair => {
      const at = pair.indexOf('=')
      return [pair.slice(0, at).trim(), unescapeProperty(pair.slice(at + 1))]
    })
  )
  const place = values.file
    ? `${values.file}${values.line ? `:${values.line}` : ''}${values.col ? `:${values.col}` : ''}`
    : undefined
  const parts = [place, values.title].filter(Boolean)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

// @actions/core escapes command data and properties this way.
function unescapeData(text: string): string {
  return text.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%')
}

function unescapeProperty(text: string): string {
  return unescapeData(text.replace(/%3A/gi, ':').replace(/%2C/gi, ','))
}
