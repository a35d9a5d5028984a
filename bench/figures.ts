// The bench's verdicts: each figure is a measured number with its target.
// The run prints one ok/MISS line a figure and fails when any is missed.

export interface Figure {
  name: string
  value: number
  unit: string
  target: string
  met: boolean
  /** Why the figure could not be measured; such a figure is always a miss. */
  problem?: string
}

export class Figures {
  private readonly list: Figure[] = []

  record(name: string, value: number, unit: string, target: string, met: boolean): void {
    this.list.push({ name, value: Math.round(value * 100) / 100, unit, target, met })
  }

  /** A target that could not be checked because what it measures did not run. */
  unmeasured(name: string, target: string, problem: string): void {
    this.list.push({ name, value: NaN, unit: '', target, met: false, problem })
  }

  /** Prints the verdicts and the closing count; returns how many were missed. */
  report(): number {
    for (const f of this.list) {
      const shown = f.problem ? `not measured (${f.problem})` : `${f.value} ${f.unit}`.trim()
      console.log(`${f.met ? 'ok  ' : 'MISS'} ${f.name}: ${shown} (target ${f.target})`)
    }
    const missed = this.list.filter(f => !f.met).length
    console.log(`bench: ${this.list.length - missed} passed, ${missed} failed`)
    return missed
  }
}
