// The inputs of delete: a tag, a manifest or a whole repository, and how
// careful to be about it.

import type { CommonInputs, Target } from '../inputs.js'
import { boolean, readRepository, readTarget } from './parsers.js'

export interface DeleteInputs extends CommonInputs {
  operation: 'delete'
  target: Target
  dryRun: boolean
  /** Delete a manifest even when a tagged index in the repository refers to it. */
  force: boolean
}

export function readDelete(common: CommonInputs): DeleteInputs {
  return {
    operation: 'delete',
    ...common,
    target: readTarget(readRepository(common.registry, 'delete'), 'delete'),
    dryRun: boolean('dry-run', false),
    force: boolean('force', false)
  }
}
