// Progress lines for long transfers: every few seconds, bytes done of the
// total, percent and speed. Quiet for transfers that end before the first line.

import type { Logger } from '../operations/context.js'

export interface ProgressOptions {
  /** What moves, as the line starts: "push team/app". */
  label: string
  total: number
  log: Logger
  intervalMs?: number
  now?: () => number
}

export class TransferProgress {
  private done = 0
  private readonly started: number
  private readonly timer: NodeJS.Timeout
  private readonly now: () => number

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now
    this.started = this.now()
    this.timer = setInterval(() => this.print(), options.intervalMs ?? 5000)
    this.timer.unref()
  }

  /** More bytes are done (sent, or found already there). */
  add(bytes: number): void {
    this.done += bytes
  }

  /** The total grew: a packed folder's size is known only once it is packed. */
  grow(bytes: number): void {
    this.options.total += bytes
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private print(): void {
    const { total, label, log } = this.options
    const seconds = Math.max((this.now() - this.started) / 1000, 0.001)
    const percent = total > 0 ? Math.min(100, Math.floor((this.done / total) * 100)) : 100
    log.info(
      `${label}: ${formatBytes(this.done)} of ${formatBytes(total)} (${percent}%), ${formatRate(this.done, seconds)}`
    )
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** Decimal megabytes a second, as network speeds are quoted. */
export function formatRate(bytes: number, seconds: number): string {
  return `${(bytes / 1e6 / Math.max(seconds, 0.001)).toFixed(1)} MB/s`
}
