// A registry some distance away: every request to the origin this wraps
// waits `ms` before it is handled, so its answer comes that much later, as
// from an ACR 20 ms across the network. Benchmarks use it to show what round
// trips cost; on loopback they cost nothing. Faults and throttling come after
// the wait, as they would at the far end.

import type { Handler } from '../https-server.js'

export type Sleep = (ms: number) => Promise<void>

// Unref'd: a request left waiting when a test ends must not keep the process up.
const timerSleep: Sleep = ms =>
  new Promise(resolve => {
    setTimeout(resolve, ms).unref()
  })

export class Latency {
  private current = 0
  private waiting = 0

  constructor(
    ms = 0,
    private readonly sleep: Sleep = timerSleep
  ) {
    this.set(ms)
  }

  /** Milliseconds each answer waits from now on; 0 answers at once. Requests already waiting keep theirs. */
  set(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new RangeError(`latency ${ms}: give a number of milliseconds, 0 or more`)
    }
    this.current = ms
  }

  get ms(): number {
    return this.current
  }

  /** Requests waiting out their latency right now. */
  held(): number {
    return this.waiting
  }

  wrap(handler: Handler): Handler {
    return async (req, res, target) => {
      const ms = this.current
      if (ms > 0) {
        this.waiting++
        try {
          await this.sleep(ms)
        } finally {
          this.waiting--
        }
      }
      return handler(req, res, target)
    }
  }
}
