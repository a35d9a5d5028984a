// Picks the operation's module and prepares it from the inputs and the disk,
// before any request: a push whose files are missing fails here, like any
// other bad input.

import type { Inputs } from '../inputs.js'
import type { OperationContext, OperationResult } from './context.js'
import { deleteTarget } from './delete.js'
import { inspect } from './inspect.js'
import { lock } from './lock.js'
import { preparePrune } from './prune/prune.js'
import { preparePull } from './pull/pull.js'
import { preparePush } from './push/push.js'
import { readManifestFile, setManifest } from './set-manifest.js'

export type Operation = (context: OperationContext) => Promise<OperationResult>

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
    case 'prune':
      return preparePrune(inputs, env)
    case 'set-manifest': {
      const file = await readManifestFile(inputs.manifest)
      return context => setManifest(inputs, file, context)
    }
  }
}
