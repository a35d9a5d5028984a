// The sign-in chain's first half with the real @azure/identity: the runner's
// ID token as a client assertion, Entra ID checking it against federated
// credentials, all through the action's transport, against local emulators.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { EntraTokenProvider } from '../../src/auth/entra.js'
import { AuthError } from '../../src/auth/errors.js'
import { GithubIdTokenSource } from '../../src/auth/github-oidc.js'
import { Transport } from '../../src/http/transport.js'
import {
  clientId,
  startAzure,
  tenantId,
  workflowSubject,
  type Azure
} from '../../test/emulators/azure.js'

const audience = 'https://containerregistry.azure.net/.default'

let azure: Azure
let transport: Transport

beforeAll(async () => {
  azure = await startAzure({ entraTokenSeconds: 30 })
  transport = new Transport({ ca: azure.ca.pem, proxy: {} })
})

afterAll(async () => {
  await transport.close()
  await azure.stop()
})

afterEach(() => azure.runner.setSubject(workflowSubject))

function provider(
  masked: string[] = [],
  identity = { tenantId, clientId }
): { entraTokens: EntraTokenProvider; idTokens: GithubIdTokenSource } {
  const mask = (secret: string): void => void masked.push(secret)
  const idTokens = new GithubIdTokenSource(
    transport,
    'api://AzureADTokenExchange',
    mask,
    azure.runner.env()
  )
  const entraTokens = new EntraTokenProvider({
    ...identity,
    authorityHost: azure.entra.url,
    audience,
    idTokens,
    transport,
    mask
  })
  return { entraTokens, idTokens }
}

describe('GitHub OIDC to Entra ID', () => {
  it('gets an Entra token for ACR with a fresh runner ID token, and masks both', async () => {
    const masked: string[] = []
    const before = azure.entra.requests().length
    const token = await provider(masked).entraTokens.accessToken()
    expect(azure.entra.verifyAccessToken(token)).toEqual({
      oid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tid: tenantId,
      appid: clientId,
      aud: 'https://containerregistry.azure.net'
    })
    expect(masked).toContain(token)
    expect(azure.runner.issuedTokens().every(t => masked.includes(t))).toBe(true)
    // Instance discovery is off for a private authority: only these two requests.
    expect(
      azure.entra
        .requests()
        .slice(before)
        .map(r => `${r.method} ${r.path}`)
    ).toEqual([
      `GET /${tenantId}/v2.0/.well-known/openid-configuration`,
      `POST /${tenantId}/oauth2/v2.0/token`
    ])
  })

  it('asks again, with a new ID token, when the Entra token has under 5 minutes left', async () => {
    const { entraTokens } = provider()
    const tokenRequests = azure.entra.tokenRequestCount()
    const idRequests = azure.runner.requestCount()
    await entraTokens.accessToken()
    await entraTokens.accessToken()
    await entraTokens.accessToken()
    expect(azure.entra.tokenRequestCount() - tokenRequests).toBe(3)
    expect(azure.runner.requestCount() - idRequests).toBeGreaterThanOrEqual(3)
  })

  it('names the presented subject, issuer and audience when no federated credential matches', async () => {
    azure.runner.setSubject('repo:octo-org/app:pull_request')
    const error = await provider()
      .entraTokens.accessToken()
      .catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    const message = (error as AuthError).message
    expect(message).toContain('AADSTS700213')
    expect(message).toContain("sub 'repo:octo-org/app:pull_request'")
    expect(message).toContain(`iss '${azure.runner.issuer}'`)
    expect(message).toContain("aud 'api://AzureADTokenExchange'")
    expect(message).not.toContain('\n')
  })

  it('tells a subject that differs only in case apart', async () => {
    azure.runner.setSubject(workflowSubject.toUpperCase())
    const error = await provider()
      .entraTokens.accessToken()
      .catch(e => e)
    expect((error as AuthError).message).toContain('AADSTS7002138')
  })

  it('names an unknown client id and an unknown tenant', async () => {
    const wrongClient = provider([], { tenantId, clientId: '00000000-0000-4000-8000-000000000000' })
    await expect(wrongClient.entraTokens.accessToken()).rejects.toThrow(
      /AADSTS700016.*check client-id/
    )
    const wrongTenant = provider([], { tenantId: 'not-a-tenant', clientId })
    await expect(wrongTenant.entraTokens.accessToken()).rejects.toThrow(
      /could not describe tenant not-a-tenant.*check tenant-id/
    )
  })
})
