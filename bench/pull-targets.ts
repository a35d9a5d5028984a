// The pull benchmark's targets, each a figure computed from the medians (or
// peaks) of named cells: this action against the raw limit and skopeo, and
// its memory, then recorded as ok or MISS.

import type { Figures } from './figures.js'
import { median } from './measure.js'
import type { PullCell, PullCells } from './pull-cells.js'
import type { PullContent } from './pull-content.js'
import type { PullPeerId } from './pull-peers.js'

interface PullGoal {
  name: string
  /** The target as printed, e.g. `<= 1.10`. */
  text: string
  unit: string
  /** The cells the figure is computed from, as [client, content]. */
  inputs: Array<[PullPeerId, string]>
  value(cells: PullCell[]): number
  met(value: number): boolean
}

const ratio = (cells: PullCell[]): number =>
  median(cells[0]?.seconds ?? []) / median(cells[1]?.seconds ?? [])

function pullGoals(contents: PullContent[]): PullGoal[] {
  const [big, many] = contents as [PullContent, PullContent]
  const actionCells = contents.flatMap(c => [
    ['action', c.id] as [PullPeerId, string],
    ['action-cache', c.id] as [PullPeerId, string]
  ])
  return [
    {
      name: `pull ${big.label}: this action's time / raw limit's`,
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
      name: `pull ${big.label}: this action's time / skopeo's`,
      text: '<= 0.5',
      unit: '×',
      inputs: [
        ['action', big.id],
        ['skopeo', big.id]
      ],
      value: ratio,
      met: value => value <= 0.5
    },
    {
      name: `pull ${many.label}: this action's time / raw limit's`,
      text: '<= 1.10',
      unit: '×',
      inputs: [
        ['action', many.id],
        ['raw', many.id]
      ],
      value: ratio,
      met: value => value <= 1.1
    },
    {
      name: `pull: this action's peak RSS (node dist/index.js, both cache settings, largest over all runs)`,
      text: '< 200 MB',
      unit: 'MB',
      inputs: actionCells,
      value: cells => Math.max(...cells.flatMap(cell => cell.peakRss)) / 1e6,
      met: value => value < 200
    }
  ]
}

export function checkPullTargets(
  figures: Figures,
  cells: PullCells,
  contents: PullContent[]
): void {
  for (const goal of pullGoals(contents)) {
    const values = goal.inputs.map(([peer, content]) => cells.get(peer, content))
    const problem = values.map(cell => (cell ? cell.error : 'not run')).find(Boolean)
    if (problem) {
      figures.unmeasured(goal.name, goal.text, problem)
      continue
    }
    const value = goal.value(values as PullCell[])
    figures.record(goal.name, value, goal.unit, goal.text, goal.met(value))
  }
}
