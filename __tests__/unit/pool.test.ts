// Bounded concurrency: never more than the limit at once, results in input
// order, and a failure that stops new starts but waits for the running ones.
// Tasks finish when the test says so, so nothing depends on timing.

import { describe, expect, it } from '@jest/globals'
import { inPool, pooled } from '../../src/operations/pool.js'

interface Gate {
  promise: Promise<void>
  open(): void
  fail(error: unknown): void
}

function gate(): Gate {
  let open!: () => void
  let fail!: (error: unknown) => void
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve
    fail = reject
  })
  return { promise, open, fail }
}

/** Lets every pending callback and promise job run. */
const settle = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

/** Tasks that wait on a gate each and record when they start and end. */
function gatedTasks(count: number) {
  const gates = Array.from({ length: count }, gate)
  const log = { started: [] as number[], finished: [] as number[], running: 0, peak: 0 }
  const task = async (item: number, index: number): Promise<string> => {
    log.started.push(index)
    log.running++
    log.peak = Math.max(log.peak, log.running)
    try {
      await gates[index]!.promise
      return `result ${item}`
    } finally {
      log.running--
      log.finished.push(index)
    }
  }
  return { gates, log, task }
}

describe('inPool', () => {
  it('never runs more than the limit at once, and starts in the order given', async () => {
    const { gates, log, task } = gatedTasks(7)
    const pool = inPool([0, 1, 2, 3, 4, 5, 6], 3, task)
    await settle()
    expect(log.started).toEqual([0, 1, 2])
    // Finish out of order: each free slot takes the next item.
    for (const index of [1, 0, 4, 2, 3, 6, 5]) {
      gates[index]!.open()
      await settle()
      expect(log.running).toBeLessThanOrEqual(3)
    }
    await pool
    expect(log.peak).toBe(3)
    expect(log.started).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('returns the results in input order, however the tasks finish', async () => {
    const { gates, task } = gatedTasks(5)
    const pool = inPool([10, 11, 12, 13, 14], 2, task)
    for (const index of [1, 0, 3, 2, 4]) {
      await settle()
      gates[index]!.open()
    }
    expect(await pool).toEqual(['result 10', 'result 11', 'result 12', 'result 13', 'result 14'])
  })

  it('passes each item with its index', async () => {
    const seen: Array<[string, number]> = []
    await inPool(['a', 'b', 'c'], 2, async (item, index) => {
      seen.push([item, index])
    })
    expect(seen.sort()).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2]
    ])
  })

  it('runs everything at once under a limit above the item count, and nothing for no items', async () => {
    const { gates, log, task } = gatedTasks(3)
    const pool = inPool([0, 1, 2], 10, task)
    await settle()
    expect(log.running).toBe(3)
    gates.forEach(g => g.open())
    expect(await pool).toHaveLength(3)
    await expect(inPool([], 4, async () => 'never')).resolves.toEqual([])
  })

  it('throws the first failure only after the running tasks finish, and starts none after it', async () => {
    const { gates, log, task } = gatedTasks(6)
    let outcome: unknown
    const pool = inPool([0, 1, 2, 3, 4, 5], 3, task).then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error)
    )
    await settle()
    const first = new Error('task 1 failed')
    gates[1]!.fail(first)
    await settle()
    // Tasks 0 and 2 are still running; the pool waits for them and starts nothing new.
    expect(outcome).toBeUndefined()
    expect(log.started).toEqual([0, 1, 2])
    gates[2]!.fail(new Error('task 2 failed later'))
    await settle()
    expect(outcome).toBeUndefined()
    gates[0]!.open()
    await pool
    expect(outcome).toBe(first)
    expect(log.running).toBe(0)
    expect(log.started).toEqual([0, 1, 2])
    expect(log.finished.sort()).toEqual([0, 1, 2])
  })

  it('catches a task that throws before it returns a promise', async () => {
    const error = new Error('thrown at once')
    const started: number[] = []
    const outcome = await inPool([0, 1, 2, 3], 1, (item: number) => {
      started.push(item)
      if (item === 1) throw error
      return Promise.resolve(item)
    }).catch((e: unknown) => e)
    expect(outcome).toBe(error)
    expect(started).toEqual([0, 1])
  })

  it('runs every task, or refuses, when the limit is below 1', async () => {
    const ran: number[] = []
    const outcome = await inPool([1, 2, 3], 0, async item => {
      ran.push(item)
      return item * 2
    }).catch((e: unknown) => e)
    // A result array of holes, with no task run, would read as success to a caller.
    if (outcome instanceof Error) {
      expect(ran).toEqual([])
    } else {
      expect(outcome).toEqual([2, 4, 6])
    }
  })
})

describe('pooled', () => {
  it('never runs more than the limit at once, starts in order, and settles each result on its own', async () => {
    const { gates, log, task } = gatedTasks(5)
    const results = pooled([0, 1, 2, 3, 4], 2, task)
    await settle()
    expect(log.started).toEqual([0, 1])
    gates[1]!.open()
    // The second result is there while the first still runs.
    await expect(results[1]).resolves.toBe('result 1')
    await settle()
    expect(log.started).toEqual([0, 1, 2])
    expect(log.running).toBe(2)
    for (const index of [2, 0, 3, 4]) {
      gates[index]!.open()
      await settle()
      expect(log.running).toBeLessThanOrEqual(2)
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4].map(i => `result ${i}`))
    expect(log.peak).toBe(2)
  })

  it('runs every task when one fails, and rejects only that one', async () => {
    const error = new Error('task 0 failed')
    const results = pooled([0, 1, 2], 1, async (item: number) => {
      if (item === 0) throw error
      return item
    })
    await expect(results[0]).rejects.toBe(error)
    await expect(Promise.all(results.slice(1))).resolves.toEqual([1, 2])
  })

  it('refuses a limit below 1 before it runs anything', () => {
    const ran: number[] = []
    expect(() =>
      pooled([1, 2], 0, async item => {
        ran.push(item)
      })
    ).toThrow(RangeError)
    expect(ran).toEqual([])
  })
})
