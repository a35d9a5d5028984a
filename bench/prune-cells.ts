// The prune benchmark's measurements, one cell per client and scenario, as
// the table and the targets read them.

import { median } from './measure.js'
import type { PrunePeerId } from './prune-peers.js'
import type { Traffic } from './prune-traffic.js'

export type ScenarioId = 'throttle' | 'latency' | 'pace'

export interface PruneCell {
  seconds: number[]
  traffic: Traffic[]
  /** Why the client failed or left the wrong end state; its later runs here are skipped. */
  error?: string
}

export class PruneCells {
  private readonly cells = new Map<string, PruneCell>()

  get(peer: PrunePeerId, scenario: ScenarioId): PruneCell | undefined {
    return this.cells.get(`${peer}/${scenario}`)
  }

  /** Every cell by `client/scenario`. */
  all(): Record<string, PruneCell> {
    return Object.fromEntries(this.cells)
  }

  /** The cell, made empty when it is not there yet. */
  at(peer: PrunePeerId, scenario: ScenarioId): PruneCell {
    const key = `${peer}/${scenario}`
    const cell = this.cells.get(key) ?? { seconds: [], traffic: [] }
    this.cells.set(key, cell)
    return cell
  }
}

export const medianSeconds = (cell: PruneCell): number => median(cell.seconds)

export const medianOf = (cell: PruneCell, count: (traffic: Traffic) => number): number =>
  median(cell.traffic.map(count))
