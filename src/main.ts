// The entry: read inputs, run one operation, publish what it did. The only
// place that fails the step.

import * as core from '@actions/core'
import { connect, type Connection } from './connect.js'
import { readInputs } from './inputs.js'
import { AcrMetadataClient } from './registry/acr-metadata.js'
import { prepareOperation } from './operations/index.js'
import { writeSummary } from './report/summary.js'

export const userAgent = 'acr-action/0.1'

const log = { info: core.info, warning: core.warning, debug: core.debug }

export async function run(): Promise<void> {
  let connection: Connection | undefined
  try {
    const inputs = readInputs()
    const operation = await prepareOperation(inputs)
    connection = connect(inputs, { log, mask: core.setSecret, userAgent })
    const client = connection.client
    const info = await core.group(`Connect to ${inputs.registry.host}`, async () => {
      const found = await client.ping()
      core.info(
        `${inputs.registry.host} answers as ${found.acr ? 'Azure Container Registry' : 'an OCI registry'} (sign-in: ${inputs.auth.mode})`
      )
      return found
    })
    const metadata = info.acr ? new AcrMetadataClient(client) : undefined
    const outcome = await core.group(`${inputs.operation}`, () =>
      operation({ client, metadata, log, transport: connection?.transport })
    )
    for (const [name, value] of Object.entries(outcome.outputs)) core.setOutput(name, value)
    core.setOutput('result', JSON.stringify(outcome.result))
    if (inputs.summary) await writeSummary(outcome.report)
    if (outcome.failure !== undefined) core.setFailed(outcome.failure)
  } catch (error) {
    core.setFailed(oneLine(error))
  } finally {
    await connection?.close()
  }
}

// One ::error:: line that says what failed; the stack goes to the debug log.
function oneLine(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message
  const text = typeof message === 'string' && message.length > 0 ? message : String(error)
  if ((error as { stack?: unknown } | null)?.stack)
    core.debug(String((error as { stack: unknown }).stack))
  return text.replace(/\s*\n\s*/g, ' ')
}
