// Picks the operation's module. Operations not built yet say so plainly
// rather than half-run.

import type { Inputs } from '../inputs.js'
import type { OperationContext, OperationResult } from './context.js'
import { inspect } from './inspect.js'

export class UnsupportedOperationError extends Error {
  override readonly name = 'UnsupportedOperationError'
}

export async function runOperation(
  inputs: Inputs,
  context: OperationContext
): Promise<OperationResult> {
  switch (inputs.operation) {
    case 'inspect':
      return inspect(inputs, context)
    default:
      throw new UnsupportedOperationError(
        `operation '${inputs.operation}' is not available in this version of the action yet`
      )
  }
}
