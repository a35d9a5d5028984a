// Credentials the peers of the prune benchmark get before their timing
// starts, through the same OIDC chain the action walks inside its own
// process: the runner's ID token, Entra ID's token for ACR (the SDK's
// credential hands it out), and an ACR access token for the catalog and
// every repository at once (the raw limit's, so that it signs in not at all).

import { readFile } from 'node:fs/promises'
import { Agent, request } from 'undici'
import { clientId, tenantId, type Azure } from '../test/emulators/azure.js'
import { oidcSignIn } from '../test/rig/acr-state.js'

/** An ACR access token that lists the catalog and reads and deletes in each repository. */
export async function rawAccessToken(azure: Azure, repositories: string[]): Promise<string> {
  const scopes = [
    'registry:catalog:*',
    ...repositories.map(name => `repository:${name}:metadata_read,delete`)
  ]
  return oidcSignIn(azure)(scopes)
}

/** An Entra ID access token for ACR, as DefaultAzureCredential would get one in a workflow. */
export async function entraAccessToken(azure: Azure): Promise<string> {
  const dispatcher = new Agent({ connect: { ca: await readFile(azure.caFile, 'utf8') } })
  try {
    const env = azure.runner.env()
    const idUrl = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL)
    idUrl.searchParams.set('audience', 'api://AzureADTokenExchange')
    const id = await request(idUrl, {
      dispatcher,
      headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
    })
    const idToken = field(id.statusCode, await id.body.text(), 'value', 'the runner ID token')
    const entra = await request(`${azure.entra.url}/${tenantId}/oauth2/v2.0/token`, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        scope: 'https://containerregistry.azure.net/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: idToken
      }).toString()
    })
    return field(entra.statusCode, await entra.body.text(), 'access_token', 'the Entra token')
  } finally {
    await dispatcher.close()
  }
}

function field(status: number, body: string, name: string, what: string): string {
  const value = status === 200 ? (JSON.parse(body) as Record<string, unknown>)[name] : undefined
  if (typeof value !== 'string') throw new Error(`${what}: ${status} ${body.slice(0, 300)}`)
  return value
}
