// ACR stamps times in 100 ns ticks and prints seven fractional digits
// (`2023-02-28T18:36:40.5864993Z`). The emulator keeps ticks too, and never
// hands out the same one twice, so that two pushes in one millisecond still
// have an order, as they do in ACR.

/** 100-nanosecond ticks since the Unix epoch. */
export type Ticks = bigint

const TICKS_PER_MS = 10_000n

export function ticksOf(date: Date): Ticks {
  return BigInt(date.getTime()) * TICKS_PER_MS
}

export function acrTime(ticks: Ticks): string {
  const ms = ticks / TICKS_PER_MS
  const rest = (ticks % TICKS_PER_MS).toString().padStart(4, '0')
  return new Date(Number(ms)).toISOString().replace(/Z$/, `${rest}Z`)
}

/** A clock that only moves forward, one tick at least between two readings. */
export class Stamper {
  private last: Ticks = 0n

  constructor(readonly clock: () => number) {}

  now(): Ticks {
    const reading = BigInt(this.clock()) * TICKS_PER_MS
    this.last = reading > this.last ? reading : this.last + 1n
    return this.last
  }
}
