// Wires the collaborators for one run from the inputs: one transport, one
// authorizer, one registry client. The entry point owns their lifetime.

import { Authorizer } from './auth/authorizer.js'
import type { Credentials } from './auth/credentials.js'
import { AuthError } from './auth/errors.js'
import { Transport } from './http/transport.js'
import type { Inputs } from './inputs.js'
import type { Logger } from './operations/context.js'
import { RegistryClient } from './registry/client.js'

export interface Connection {
  client: RegistryClient
  close(): Promise<void>
}

export interface Runner {
  log: Logger
  mask(secret: string): void
  userAgent: string
}

export function connect(inputs: Inputs, runner: Runner): Connection {
  const transport = new Transport({
    userAgent: runner.userAgent,
    connectionsPerOrigin: inputs.concurrency,
    onRetry: event =>
      // The path only: a storage URL's query holds a SAS signature.
      runner.log.info(
        `retrying ${event.method} ${event.url.host}${event.url.pathname} in ${event.delayMs} ms (${event.status ?? event.code ?? 'error'})`
      )
  })
  const authorizer = new Authorizer({
    transport,
    credentials: credentialsFor(inputs),
    mask: runner.mask
  })
  return {
    client: new RegistryClient(inputs.registry.baseUrl, transport, authorizer),
    close: () => transport.close()
  }
}

function credentialsFor(inputs: Inputs): Credentials {
  const { auth } = inputs
  switch (auth.mode) {
    case 'anonymous':
      return { kind: 'anonymous' }
    case 'password':
      return { kind: 'basic', username: auth.username, password: auth.password }
    case 'oidc':
      throw new AuthError(
        'oidc',
        'OIDC sign-in is not available in this version yet: use auth: password or anonymous'
      )
  }
}
