// The bundled action run against the ACR emulator as a workflow signed in with
// OIDC runs it: the runner's ID-token variables, the emulators' CA, and the
// application and tenant that the Entra emulator's federated credential names.

import { clientId, tenantId, type Azure } from '../emulators/azure.js'
import { runAction, type ActionRun } from './run-action.js'

export function runActionOnAzure(
  azure: Azure,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  timeoutMs?: number
): Promise<ActionRun> {
  return runAction(
    {
      registry: azure.acr.host,
      'client-id': clientId,
      'tenant-id': tenantId,
      'authority-host': azure.entra.url,
      ...inputs
    },
    { ...azure.runner.env(), NODE_EXTRA_CA_CERTS: azure.caFile, ...env },
    timeoutMs
  )
}
