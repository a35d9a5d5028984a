// The push benchmark's targets, each a figure computed from the medians (or
// peaks) of named cells: this action against the raw limit and skopeo, its
// second push against its first, and its memory.

import { median } from './measure.js'
import type { PushContent } from './push-content.js'
import type { PeerId } from './push-peers.js'
import type { Cell } from './push-cells.js'

export interface PushGoal {
  name: string
  /** The target as printed, e.g. `<= 1.10`. */
  text: string
  unit: string
  /** The cells the figure is computed from, as [client, column]. */
  inputs: Array<[PeerId, string]>
  value(cells: Cell[]): number
  met(value: number): boolean
}

const ratio = (cells: Cell[]): number =>
  median(cells[0]?.seconds ?? []) / median(cells[1]?.seconds ?? [])

export function pushTargets(contents: PushContent[]): PushGoal[] {
  const [big, many] = contents as [PushContent, PushContent]
  const again = (content: PushContent) => `${content.id}-again`
  const actionColumns = contents.flatMap(c => [c.id, again(c)])
  return [
    {
      name: `push ${big.label}: this action's time / raw limit's`,
      text: '<= 1.10',
      unit: '×',
      inputs: [
        ['action', big.id],
        ['raw', big.id]
      ],
      value: ratio,
      met: value => value <= 1.1
    },
    {
      name: `push ${big.label}: this action's time / skopeo's`,
      text: '< 1 (faster than skopeo)',
      unit: '×',
      inputs: [
        ['action', big.id],
        ['skopeo', big.id]
      ],
      value: ratio,
      met: value => value < 1
    },
    {
      name: `push ${many.label}: this action's time / raw limit's`,
      text: '<= 1.25',
      unit: '×',
      inputs: [
        ['action', many.id],
        ['raw', many.id]
      ],
      value: ratio,
      met: value => value <= 1.25
    },
    {
      name: `push ${big.label} again unchanged: this action's time / its first push's`,
      text: '< 0.25',
      unit: '×',
      inputs: [
        ['action', again(big)],
        ['action', big.id]
      ],
      value: ratio,
      met: value => value < 0.25
    },
    {
      name: `push ${many.label} again unchanged: this action's time / raw limit's`,
      text: '<= 2.5',
      unit: '×',
      inputs: [
        ['action', again(many)],
        ['raw', again(many)]
      ],
      value: ratio,
      met: value => value <= 2.5
    },
    {
      name: `push: this action's peak RSS (node dist/index.js, largest over all runs)`,
      text: '< 200 MB',
      unit: 'MB',
      inputs: actionColumns.map(column => ['action', column] as [PeerId, string]),
      value: cells => Math.max(...cells.flatMap(cell => cell.peakRss)) / 1e6,
      met: value => value < 200
    }
  ]
}
