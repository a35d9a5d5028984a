// Progress lines for long transfers. The clock that the rate is worked out
// from is injected; the timer that prints is real and short, and the tests
// wait for lines rather than count how many a stretch of time gives.

import { afterEach, describe, expect, it } from '@jest/globals'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../src/operations/context.js'
import { formatBytes, formatRate, TransferProgress } from '../../src/report/progress.js'

const MiB = 1024 * 1024

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: message => lines.push(message),
    warning: message => lines.push(`warning: ${message}`),
    debug: () => undefined
  }
}

async function waitForLines(log: { lines: string[] }, count: number): Promise<void> {
  for (let tries = 0; log.lines.length < count; tries++) {
    if (tries > 500) throw new Error(`only ${log.lines.length} progress lines appeared`)
    await sleep(5)
  }
}

describe('TransferProgress', () => {
  const running: TransferProgress[] = []
  afterEach(() => running.splice(0).forEach(p => p.stop()))

  function start(total: number, clock: { now: number }) {
    const log = recorder()
    const progress = new TransferProgress({
      label: 'push team/app',
      total,
      log,
      intervalMs: 20,
      now: () => clock.now
    })
    running.push(progress)
    return { log, progress }
  }

  it('prints bytes done, the total, the percent and the speed', async () => {
    const clock = { now: 1_000_000 }
    const { log, progress } = start(10 * MiB, clock)
    progress.add(5 * MiB)
    clock.now += 2000
    await waitForLines(log, 1)
    const rate = formatRate(5 * MiB, 2)
    expect(rate).toBe('2.6 MB/s')
    expect(log.lines[0]).toBe(`push team/app: 5.0 MiB of 10.0 MiB (50%), ${rate}`)
  })

  it('follows the bytes added and a total that grew', async () => {
    const clock = { now: 0 }
    const { log, progress } = start(4 * MiB, clock)
    progress.add(MiB)
    progress.grow(4 * MiB)
    progress.add(3 * MiB)
    clock.now = 4000
    const from = log.lines.length
    await waitForLines(log, from + 1)
    expect(log.lines.at(-1)).toBe(
      `push team/app: 4.0 MiB of 8.0 MiB (50%), ${formatRate(4 * MiB, 4)}`
    )
  })

  it('never says more than 100%, and 100% for a transfer of nothing', async () => {
    const clock = { now: 0 }
    const over = start(MiB, clock)
    over.progress.add(3 * MiB)
    const empty = start(0, clock)
    clock.now = 1000
    await waitForLines(over.log, 1)
    await waitForLines(empty.log, 1)
    expect(over.log.lines[0]).toContain('3.0 MiB of 1.0 MiB (100%)')
    expect(empty.log.lines[0]).toContain('0 B of 0 B (100%)')
  })

  it('prints no more lines once stopped', async () => {
    const clock = { now: 0 }
    const { log, progress } = start(MiB, clock)
    await waitForLines(log, 1)
    progress.stop()
    const printed = log.lines.length
    await sleep(100)
    expect(log.lines).toHaveLength(printed)
  })

  it('stays quiet for a transfer that ends before the first line', async () => {
    const clock = { now: 0 }
    const { log, progress } = start(MiB, clock)
    progress.add(MiB)
    progress.stop()
    await sleep(100)
    expect(log.lines).toEqual([])
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [5 * MiB, '5.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [2 * 1024 ** 4, '2.0 TiB'],
    [1024 ** 5, '1024.0 TiB']
  ])('writes %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })
})

describe('formatRate', () => {
  it('writes decimal megabytes a second', () => {
    expect(formatRate(1_000_000, 1)).toBe('1.0 MB/s')
    expect(formatRate(250_000_000, 2)).toBe('125.0 MB/s')
    expect(formatRate(0, 10)).toBe('0.0 MB/s')
  })

  it('does not divide by zero for a transfer that took no time', () => {
    expect(formatRate(1000, 0)).toBe('1.0 MB/s')
  })
})
