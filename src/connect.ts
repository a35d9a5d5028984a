// Wires the collaborators for one run from the inputs: one transport, one
// authorizer, one registry client. The entry point owns their lifetime.

import { AcrTokenSource } from './auth/acr-token.js'
import { Authorizer } from './auth/authorizer.js'
import type { EntraTokenProvider } from './auth/entra.js'
import { GithubIdTokenSource, missingIdTokenPermission } from './auth/github-oidc.js'
import type { Credentials } from './auth/credentials.js'
import { Transport } from './http/transport.js'
import type { Inputs } from './inputs.js'
import type { Logger } from './operations/context.js'
import { RegistryClient } from './registry/client.js'

export interface Connection {
  client: RegistryClient
  transport: Transport
  close(): Promise<void>
}

export interface Runner {
  log: Logger
  mask(secret: string): void
  userAgent: string
  env?: NodeJS.ProcessEnv
}

export function connect(inputs: Inputs, runner: Runner): Connection {
  const transport = new Transport({
    userAgent: runner.userAgent,
    connectionsPerOrigin: inputs.concurrency,
    onRetry: event =>
      // The path only: a storage URL's query holds a SAS signature.
      runner.log.info(
        `retrying ${event.method} ${event.url.host}${event.url.pathname} in ${event.delayMs} ms (${event.status ?? event.code ?? 'error'})`
      ),
    onLimit: (origin, limit) =>
      runner.log.info(`${new URL(origin).host}: ${limit} requests at a time`)
  })
  const authorizer = new Authorizer({
    transport,
    credentials: credentialsFor(inputs, transport, runner),
    mask: runner.mask,
    repositoryActions: repositoryActionsFor(inputs)
  })
  return {
    client: new RegistryClient(inputs.registry.baseUrl, transport, authorizer),
    transport,
    close: () => transport.close()
  }
}

// A prune reads, lists and deletes in every repository it touches: one token
// each, where asking per kind of request took three. Other operations touch
// one repository and ask for just what each request needs.
function repositoryActionsFor(inputs: Inputs): string[] | undefined {
  if (inputs.operation !== 'prune') return undefined
  if (inputs.dryRun) return ['metadata_read', 'pull']
  return ['delete', 'metadata_read', 'pull', ...(inputs.includeLocked ? ['metadata_write'] : [])]
}

function credentialsFor(inputs: Inputs, transport: Transport, runner: Runner): Credentials {
  const { auth } = inputs
  switch (auth.mode) {
    case 'anonymous':
      return { kind: 'anonymous' }
    case 'password':
      return { kind: 'basic', username: auth.username, password: auth.password }
    case 'oidc': {
      const env = runner.env ?? process.env
      // Checked before any request: without it nothing can sign in.
      if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
        throw missingIdTokenPermission()
      }
      const idTokens = new GithubIdTokenSource(transport, auth.oidcAudience, runner.mask, env)
      // @azure/identity and MSAL take a fifth of a second to load: only a step that
      // signs in with OIDC pays for them, once its first token is needed.
      let entra: Promise<EntraTokenProvider> | undefined
      const provider = (): Promise<EntraTokenProvider> =>
        (entra ??= import('./auth/entra.js').then(
          ({ EntraTokenProvider }) =>
            new EntraTokenProvider({
              tenantId: auth.tenantId,
              clientId: auth.clientId,
              authorityHost: auth.authorityHost,
              audience: auth.audience,
              idTokens,
              transport,
              mask: runner.mask
            })
        ))
      const source = new AcrTokenSource({
        transport,
        entraToken: async () => (await provider()).accessToken(),
        tenantId: auth.tenantId,
        mask: runner.mask
      })
      return { kind: 'token-source', source }
    }
  }
}
