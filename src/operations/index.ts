// Picks the operation's module. Operations not built yet say so before any
// request, like any other bad input, rather than half-run.

import type { Inputs } from '../inputs.js'
import type { OperationContext, OperationResult } from './context.js'
import { inspect } from './inspect.js'

export class UnsupportedOperationError extends Error {
  override readonly name = 'UnsupportedOperationError'
}

export type Operation = (context: OperationContext) => Promise<OperationResult>

/** The operation bound to its inputs. */
export function operationFor(inputs: Inputs): Operation {
  switch (inputs.operation) {
    case 'inspect':
      return context => inspect(inputs, context)
    default:
      throw new UnsupportedOperationError(
        `Input 'operation': '${inputs.operation}' is not available in this version of the action yet; this version runs: inspect`
      )
  }
}
