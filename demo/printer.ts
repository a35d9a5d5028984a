// How the demo shows a step: a header with its `with:` as a workflow file
// would hold it, then (after the live log) its outputs and its job summary,
// and at the end one line per step.

import { renderSummary } from './render-summary.js'
import type { Style } from './terminal-style.js'
import { indent } from './text-blocks.js'

export type Print = (line?: string) => void

export function stepHeader(
  print: Print,
  style: Style,
  title: string,
  inputs: Record<string, string>
): void {
  print()
  print(style.bold(style.blue(`━━ ${title} ${'━'.repeat(Math.max(3, 60 - title.length))}`)))
  print(style.dim('- uses: ./   # dist/index.js, as a workflow runs it'))
  print(style.dim('  with:'))
  for (const [name, value] of Object.entries(inputs)) {
    if (!value.includes('\n')) {
      print(style.dim(`    ${name}: ${yamlScalar(value)}`))
      continue
    }
    print(style.dim(`    ${name}: |`))
    for (const line of value.split('\n')) print(style.dim(`      ${line}`))
  }
  print()
}

// Quoted only where YAML would read the value as something else than a string.
function yamlScalar(value: string): string {
  const plain =
    /^[\w./@:+-][\w./@:+\- ]*$/.test(value) && !/^(true|false|null|~|-?\d+(\.\d+)?)$/.test(value)
  return plain && !value.includes(': ') ? value : JSON.stringify(value)
}

/** Outputs one a line; long values (the JSON ones) are cut, with their full length said. */
export function showOutputs(print: Print, style: Style, outputs: Record<string, string>): void {
  const names = Object.keys(outputs)
  print()
  print(style.bold('outputs:') + (names.length === 0 ? ' none' : ''))
  const width = Math.max(0, ...names.map(name => name.length))
  for (const name of names) {
    const value = (outputs[name] ?? '').replace(/\s*\n\s*/g, ' ')
    const shown = value.length > 110 ? `${value.slice(0, 100)}… (${value.length} chars)` : value
    print(`  ${style.cyan(name.padEnd(width))}  ${shown}`)
  }
}

export function showSummary(print: Print, style: Style, summary: string): void {
  print()
  if (summary.trim() === '') {
    print(`${style.bold('job summary:')} none`)
    return
  }
  print(style.bold('job summary:'))
  print(style.dim('  ┌'))
  const rendered = renderSummary(summary, { color: style.color }).split('\n')
  for (const line of indent(rendered, style.dim('  │ '))) print(line)
  print(style.dim('  └'))
}

export interface StepResult {
  title: string
  ok: boolean
  /** What was not as expected. */
  problems: string[]
}

export function showResults(
  print: Print,
  style: Style,
  results: StepResult[],
  seconds: number
): void {
  print()
  print(style.bold('Results'))
  for (const result of results) {
    const mark = result.ok ? style.green('ok    ') : style.red('failed')
    const why = result.ok ? '' : `: ${result.problems.join('; ')}`
    print(`  ${mark}  ${result.title}${why}`)
  }
  const failed = results.filter(result => !result.ok).length
  print()
  print(
    failed === 0
      ? style.green(
          `demo: all ${results.length} steps did what was expected, in ${seconds.toFixed(1)} s`
        )
      : style.red(`demo: ${failed} of ${results.length} steps failed, in ${seconds.toFixed(1)} s`)
  )
}
