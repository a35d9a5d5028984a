// The README's inputs and outputs tables are what users read; action.yml is
// what the runner reads. They must name the same inputs and outputs, and the
// defaults the README gives must be the ones the runner applies.

import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const actionYml = readFileSync(join(root, 'action.yml'), 'utf8')

interface Declared {
  required: boolean
  default?: string
}

/** The entries of a top-level section of action.yml (`inputs:` or `outputs:`). */
function declared(section: string): Map<string, Declared> {
  const lines = actionYml.split('\n')
  const start = lines.indexOf(`${section}:`)
  if (start < 0) throw new Error(`action.yml has no ${section}: section`)
  const entries = new Map<string, Declared>()
  let current: Declared | undefined
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break
    const name = /^ {2}([a-z][a-z0-9-]*):\s*$/.exec(line)
    if (name?.[1]) {
      current = { required: false }
      entries.set(name[1], current)
      continue
    }
    const field = /^ {4}(required|default):\s*(.*)$/.exec(line)
    if (!field || !current) continue
    const value = (field[2] ?? '').replace(/^'(.*)'$/, '$1')
    if (field[1] === 'required') current.required = value === 'true'
    else current.default = value
  }
  return entries
}

/** Rows of the README table under `### heading`: the names in the first cell, and the cells. */
function tableRows(heading: string): Array<{ names: string[]; cells: string[] }> {
  const at = readme.indexOf(`\n### ${heading}`)
  if (at < 0) throw new Error(`README has no "### ${heading}" section`)
  const section = readme.slice(at + 1).split(/\n#{2,3} /)[0] ?? ''
  return section
    .split('\n')
    .filter(line => line.startsWith('|'))
    .slice(2) // the header and its separator
    .map(line => {
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map(cell => cell.trim())
      const names = [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].map(m => m[1] ?? '')
      return { names, cells }
    })
}

function documentedNames(heading: string): string[] {
  return tableRows(heading).flatMap(row => row.names)
}

describe('README inputs table and action.yml', () => {
  const inputs = declared('inputs')

  it('name the same inputs, each once', () => {
    const names = documentedNames('Inputs')
    expect(new Set(names).size).toBe(names.length)
    expect([...names].sort()).toEqual([...inputs.keys()].sort())
  })

  it('give the defaults the runner applies', () => {
    const mismatches: string[] = []
    for (const { names, cells } of tableRows('Inputs')) {
      const cell = cells[2] ?? ''
      for (const name of names) {
        const spec = inputs.get(name)
        if (!spec) continue
        if (spec.required && cell !== '(required)')
          mismatches.push(`${name}: required in action.yml, README says "${cell}"`)
        if (spec.default !== undefined && !cell.includes(`\`${spec.default}\``))
          mismatches.push(`${name}: action.yml default ${spec.default}, README says "${cell}"`)
        // A bare value in the README with no default in action.yml would mislead: the
        // action then decides in code, and the README must say how.
        if (spec.default === undefined && /^`[^`]+`$/.test(cell))
          mismatches.push(`${name}: no default in action.yml, README says "${cell}"`)
      }
    }
    expect(mismatches).toEqual([])
  })
})

describe('README outputs table and action.yml', () => {
  it('name the same outputs, each once', () => {
    const names = documentedNames('Outputs')
    expect(new Set(names).size).toBe(names.length)
    expect([...names].sort()).toEqual([...declared('outputs').keys()].sort())
  })
})
