// The per-origin limit of the transport: `max` requests at once to start
// with, halved on each 429, grown back by one after a full round of calm
// answers, never above `max` nor below 1, waiters served in arrival order.
// Acquisitions are promises the test inspects; nothing depends on timing.

import { describe, expect, it } from '@jest/globals'
import { AdaptiveLimit } from '../../src/http/adaptive-limit.js'

/** Lets every pending promise job run. */
const settle = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

/** Starts `count` acquisitions and reports which of them hold a slot. */
function acquireAll(limit: AdaptiveLimit, count: number) {
  const granted: number[] = []
  const all = Array.from({ length: count }, (_, i) =>
    limit.acquire().then(() => void granted.push(i))
  )
  return { granted, all }
}

function recording(max: number) {
  const changes: number[] = []
  return { limit: new AdaptiveLimit(max, value => changes.push(value)), changes }
}

describe('AdaptiveLimit', () => {
  it('lets max requests through at once and queues the rest in arrival order', async () => {
    const { limit } = recording(3)
    const { granted } = acquireAll(limit, 6)
    await settle()
    expect(granted).toEqual([0, 1, 2])
    limit.release('ok')
    await settle()
    expect(granted).toEqual([0, 1, 2, 3])
    limit.release('failed')
    limit.release('ok')
    await settle()
    expect(granted).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('halves on a 429, rounding down, and says so', async () => {
    const { limit, changes } = recording(8)
    const { granted } = acquireAll(limit, 8)
    await settle()
    limit.release('throttled')
    expect(limit.limit).toBe(4)
    limit.release('throttled')
    expect(limit.limit).toBe(2)
    limit.release('throttled')
    expect(limit.limit).toBe(1)
    expect(changes).toEqual([4, 2, 1])
    expect(granted).toHaveLength(8)
  })

  it('never goes below one, and reports no change that did not happen', async () => {
    const { limit, changes } = recording(2)
    acquireAll(limit, 2)
    await settle()
    limit.release('throttled')
    limit.release('throttled')
    expect(limit.limit).toBe(1)
    expect(changes).toEqual([1])
  })

  it('starts no new request while more are in flight than the lowered limit', async () => {
    const { limit } = recording(4)
    const { granted } = acquireAll(limit, 6)
    await settle()
    expect(granted).toEqual([0, 1, 2, 3])
    // 3 still in flight, limit now 2: the queue waits until fewer than 2 are.
    limit.release('throttled')
    await settle()
    expect(granted).toEqual([0, 1, 2, 3])
    limit.release('failed')
    await settle()
    expect(granted).toEqual([0, 1, 2, 3])
    limit.release('failed')
    await settle()
    expect(granted).toEqual([0, 1, 2, 3, 4])
  })

  it('grows by one after as many calm answers as the limit, up to max', async () => {
    const { limit, changes } = recording(4)
    acquireAll(limit, 4)
    await settle()
    limit.release('throttled')
    limit.release('throttled')
    expect(limit.limit).toBe(1)
    // A full round at each limit earns one more: 1 calm answer at 1, 2 at 2, 3 at 3.
    const calm = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await limit.acquire()
        limit.release('ok')
      }
    }
    limit.release('ok')
    limit.release('ok')
    expect(limit.limit).toBe(2)
    await calm(2)
    expect(limit.limit).toBe(3)
    await calm(3)
    expect(limit.limit).toBe(4)
    await calm(20)
    expect(limit.limit).toBe(4)
    expect(changes).toEqual([2, 1, 2, 3, 4])
  })

  it('starts the calm count over after a 429, and failures count for neither', async () => {
    const { limit, changes } = recording(8)
    acquireAll(limit, 8)
    await settle()
    limit.release('throttled') // 4; 7 in flight
    limit.release('ok')
    limit.release('ok')
    limit.release('ok')
    limit.release('failed')
    limit.release('throttled') // three calm answers of four, then a 429: 2
    expect(limit.limit).toBe(2)
    limit.release('ok')
    expect(limit.limit).toBe(2)
    limit.release('ok')
    expect(limit.limit).toBe(3)
    expect(changes).toEqual([4, 2, 3])
  })

  it('fills the slots a grown limit opens for the queue', async () => {
    const { limit } = recording(2)
    const first = acquireAll(limit, 2)
    await settle()
    limit.release('throttled') // limit 1, one in flight
    const { granted } = acquireAll(limit, 3)
    await settle()
    expect(granted).toEqual([])
    limit.release('ok') // calm 1 of 1: limit 2, none in flight, so two start
    await settle()
    expect(limit.limit).toBe(2)
    expect(granted).toEqual([0, 1])
    expect(first.granted).toEqual([0, 1])
  })
})
