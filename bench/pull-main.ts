// Runs the pull benchmark alone: `node lib/bench/pull-main.js`.

import { Figures } from './figures.js'
import { pullFigures } from './pull.js'

const figures = new Figures()
await pullFigures(figures)
process.exitCode = figures.report() === 0 ? 0 : 1
