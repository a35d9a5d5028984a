// What every operation is handed: its collaborators, never the runner.

import type { Transport } from '../http/transport.js'
import type { AcrMetadataClient } from '../registry/acr-metadata.js'
import type { RegistryClient } from '../registry/client.js'
import type { Report } from '../report/model.js'

export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

export interface OperationContext {
  client: RegistryClient
  /** Present when the registry is ACR. */
  metadata?: AcrMetadataClient
  log: Logger
  /** For the few calls that are not to the registry (GitHub's API); the registry's own transport. */
  transport?: Transport
}

export interface OperationResult {
  /** Step outputs besides `result`, by name (INTERFACE.md). */
  outputs: Record<string, string>
  /** The `result` output: always `operation`, and `digest` where one applies. */
  result: { operation: string; digest?: string } & Record<string, unknown>
  report: Report
  /** Set when the operation did what it could but the step must fail (prune's failed items). */
  failure?: string
}
