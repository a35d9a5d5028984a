// Every kind of bad input fails the bundled action before a single request
// reaches the registry: the real registry's own access log is the witness.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { runAction, type ActionRun } from '../../test/action/run-action.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'

interface BadInput {
  why: string
  inputs: Record<string, string>
  env?: Record<string, string>
  input: string
  message: string[]
  absent?: string[]
  /** The case depends on the registry's name (a length limit, say): do not re-aim it. */
  keepRegistry?: boolean
}

const cases = JSON.parse(
  readFileSync(new URL('../fixtures/bad-inputs.json', import.meta.url), 'utf8')
) as BadInput[]

// Point each case at the live registry unless the registry input itself is
// what is wrong, or the case is about where it points (plain HTTP elsewhere).
function aimed(badInput: BadInput, registry: Registry): Record<string, string> {
  const original = badInput.inputs.registry
  const keep =
    badInput.keepRegistry === true ||
    badInput.input === 'registry' ||
    original === undefined ||
    original.startsWith('http://')
  return keep ? badInput.inputs : { ...badInput.inputs, registry: registry.url }
}

describe('bad input', () => {
  let registry: Registry
  const runs = new Map<BadInput, ActionRun>()
  let requestsBefore = 0

  beforeAll(async () => {
    registry = await startRegistry()
    requestsBefore = await registry.requestCount()
    // Four at a time: each run is a fresh node process, as on the runner.
    const queue = [...cases]
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          runs.set(next, await runAction(aimed(next, registry), next.env ?? {}))
        }
      })
    )
  }, 300_000)

  afterAll(async () => {
    await registry.stop()
  })

  it('covers many cases, some of them aimed at the live registry', () => {
    expect(cases.length).toBeGreaterThan(50)
    expect(cases.filter(c => aimed(c, registry).registry === registry.url).length).toBeGreaterThan(
      50
    )
  })

  it.each(cases.map(c => [c.why, c] as const))('%s', (_why, badInput) => {
    const run = runs.get(badInput)!
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain(`Input '${badInput.input}'`)
    for (const part of badInput.message) expect(run.errors[0]).toContain(part)
    for (const secret of badInput.absent ?? []) expect(run.visible).not.toContain(secret)
  })

  it('sent no request to the registry', async () => {
    expect(await registry.requestCount()).toBe(requestsBefore)
  })
})
