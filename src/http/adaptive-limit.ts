// How many requests one origin gets at once: `max` to start with, halved on
// each 429 and grown back by one after a full round of answers that were not,
// so a registry's quota is used fully but not overrun for long. Waiters are
// served in the order they came.

export type Answer = 'ok' | 'throttled' | 'failed'

export class AdaptiveLimit {
  private active = 0
  private current: number
  private calm = 0
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly max: number,
    private readonly onChange?: (limit: number) => void
  ) {
    this.current = max
  }

  get limit(): number {
    return this.current
  }

  async acquire(): Promise<void> {
    if (this.active < this.current && this.waiting.length === 0) {
      this.active++
      return
    }
    await new Promise<void>(resolve => this.waiting.push(resolve))
  }

  release(answer: Answer): void {
    this.active--
    if (answer === 'throttled') {
      this.calm = 0
      this.set(Math.max(1, Math.floor(this.current / 2)))
    } else if (answer === 'ok' && ++this.calm >= this.current) {
      this.calm = 0
      this.set(Math.min(this.max, this.current + 1))
    }
    while (this.active < this.current && this.waiting.length > 0) {
      this.active++
      this.waiting.shift()?.()
    }
  }

  private set(limit: number): void {
    if (limit === this.current) return
    this.current = limit
    this.onChange?.(limit)
  }
}
