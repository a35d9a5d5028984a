// The pull benchmark's measurements, one cell per client and content, as the
// table and the targets read them.

import type { PullPeerId } from './pull-peers.js'

export interface PullCell {
  seconds: number[]
  peakRss: number[]
  /** Why the client failed; its later runs of this content are skipped. */
  error?: string
}

export class PullCells {
  private readonly cells = new Map<string, PullCell>()

  get(peer: PullPeerId, content: string): PullCell | undefined {
    return this.cells.get(`${peer}/${content}`)
  }

  /** The cell, made empty when it is not there yet. */
  at(peer: PullPeerId, content: string): PullCell {
    const key = `${peer}/${content}`
    const cell = this.cells.get(key) ?? { seconds: [], peakRss: [] }
    this.cells.set(key, cell)
    return cell
  }
}
