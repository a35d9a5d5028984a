// The push benchmark's measurements, one cell per client and column (a
// content, first pushed or pushed again), as the table and the targets read them.

import type { PushContent } from './push-content.js'
import type { PeerId } from './push-peers.js'

export interface Cell {
  seconds: number[]
  peakRss: number[]
  /** Why the client failed; its later runs in this column are skipped. */
  error?: string
}

export const columnOf = (content: PushContent, again: boolean): string =>
  `${content.id}${again ? '-again' : ''}`

export class Cells {
  private readonly cells = new Map<string, Cell>()

  get(peer: PeerId, column: string): Cell | undefined {
    return this.cells.get(`${peer}/${column}`)
  }

  /** The cell, made empty when it is not there yet. */
  at(peer: PeerId, column: string): Cell {
    const key = `${peer}/${column}`
    const cell = this.cells.get(key) ?? { seconds: [], peakRss: [] }
    this.cells.set(key, cell)
    return cell
  }
}
