// npm run bench: the speed and memory figures, against the real registry on
// loopback. Each figure has a target; the run fails when one is missed. Only
// measured numbers are printed. BENCH_ONLY=base, push, pull or prune runs one
// part; by default all run.

import { baseFigures } from './base.js'
import { Figures } from './figures.js'
import { pruneFigures } from './prune.js'
import { pullFigures } from './pull.js'
import { pushFigures } from './push.js'

const parts = { base: baseFigures, push: pushFigures, pull: pullFigures, prune: pruneFigures }

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY
  if (only !== undefined && !(only in parts)) {
    throw new Error(`BENCH_ONLY must be one of ${Object.keys(parts).join(', ')}, not ${only}`)
  }
  const figures = new Figures()
  for (const [name, part] of Object.entries(parts)) {
    if (only === undefined || only === name) await part(figures)
  }
  process.exitCode = figures.report() === 0 ? 0 : 1
}

await main()
