// Picks the operation's module and prepares it from the inputs and the disk,
// before any request: a push whose files are missing fails here, like any
// other bad input. Operations not built yet say so here too, rather than half-run.

import type { Inputs } from '../inputs.js'
import type { OperationContext, OperationResult } from './context.js'
import { deleteTarget } from './delete.js'
import { inspect } from './inspect.js'
import { lock } from './lock.js'
import { preparePull } from './pull/pull.js'
import { preparePush } from './push/push.js'
import { readManifestFile, setManifest } from './set-manifest.js'

export class UnsupportedOperationError extends Error {
  override readonly name = 'UnsupportedOperationError'
}

export type Operation = (context: OperationContext) => Promise<OperationResult>

const available = ['push', 'set-manifest', 'pull', 'lock', 'unlock', 'delete', 'inspect']

/** The operation bound to its inputs, with what it reads from the disk already read. */
export async function prepareOperation(
  inputs: Inputs,
  env: NodeJS.ProcessEnv = process.env
): Promise<Operation> {
  switch (inputs.operation) {
    case 'inspect':
      return context => inspect(inputs, context)
    case 'push':
      return preparePush(inputs, env)
    case 'lock':
    case 'unlock':
      return context => lock(inputs, context)
    case 'delete':
      return context => deleteTarget(inputs, context)
    case 'pull':
      return preparePull(inputs, env)
    case 'set-manifest': {
      const file = await readManifestFile(inputs.manifest)
      return context => setManifest(inputs, file, context)
    }
    default:
      throw new UnsupportedOperationError(
        `Input 'operation': '${inputs.operation}' is not available in this version of the action yet; this version runs: ${available.join(', ')}`
      )
  }
}
