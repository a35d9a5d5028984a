// The sign-in chain's first half with the real @azure/identity: the runner's
// ID token as a client assertion, Entra ID checking it against federated
// credentials, all through the action's transport, against local emulators.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { EntraTokenProvider } from '../../src/auth/entra.js'
import { AuthError } from '../../src/auth/errors.js'
import { GithubIdTokenSource } from '../../src/auth/github-oidc.js'
import { Transport } from '../../src/http/transport.js'
import { startEntraId, type EntraEmulator } from '../../test/emulators/entra-id.js'
import {
  defaultSubject,
  startRunnerOidc,
  type RunnerOidcEmulator
} from '../../test/emulators/runner-oidc.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { createCertificateAuthority, type CertificateAuthority } from '../../test/rig/tls.js'

const tenantId = '72f988bf-0000-4000-8000-000000000001'
const clientId = '11111111-2222-4333-8444-555555555555'
const audience = 'https://containerregistry.azure.net/.default'

let dir: string
let ca: CertificateAuthority
let runner: RunnerOidcEmulator
let entra: EntraEmulator
let transport: Transport

beforeAll(async () => {
  dir = await makeTempDir('oidc-chain')
  ca = await createCertificateAuthority(dir)
  runner = await startRunnerOidc({ ca })
  entra = await startEntraId({
    ca,
    trustedIssuers: [{ issuer: runner.issuer, publicKey: runner.signingKey.publicKey }],
    federatedCredentials: [
      {
        tenantId,
        clientId,
        issuer: runner.issuer,
        subject: defaultSubject,
        audience: 'api://AzureADTokenExchange'
      }
    ],
    accessTokenLifetimeSeconds: 30
  })
  transport = new Transport({ ca: ca.pem, proxy: {} })
})

afterAll(async () => {
  await transport.close()
  await entra.stop()
  await runner.stop()
  await removeTempDir(dir)
})

afterEach(() => runner.setSubject(defaultSubject))

function provider(masked: string[] = []): {
  entraTokens: EntraTokenProvider
  idTokens: GithubIdTokenSource
} {
  const mask = (secret: string): void => void masked.push(secret)
  const idTokens = new GithubIdTokenSource(
    transport,
    'api://AzureADTokenExchange',
    mask,
    runner.env()
  )
  const entraTokens = new EntraTokenProvider({
    tenantId,
    clientId,
    authorityHost: entra.url,
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
    const before = entra.requests().length
    const token = await provider(masked).entraTokens.accessToken()
    expect(entra.verifyAccessToken(token)).toEqual({
      oid: `oid-${clientId}`,
      tid: tenantId,
      appid: clientId,
      aud: 'https://containerregistry.azure.net'
    })
    expect(masked).toContain(token)
    expect(runner.issuedTokens().every(t => masked.includes(t) || !t)).toBe(true)
    // Instance discovery is off for a private authority: only these two requests.
    expect(
      entra
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
    const tokenRequests = entra.tokenRequestCount()
    const idRequests = runner.tokenRequestCount()
    await entraTokens.accessToken()
    await entraTokens.accessToken()
    await entraTokens.accessToken()
    expect(entra.tokenRequestCount() - tokenRequests).toBe(3)
    expect(runner.tokenRequestCount() - idRequests).toBeGreaterThanOrEqual(3)
  })

  it('names the presented subject, issuer and audience when no federated credential matches', async () => {
    runner.setSubject('repo:octo-org/app:pull_request')
    const error = await provider()
      .entraTokens.accessToken()
      .catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    const message = (error as AuthError).message
    expect(message).toContain('AADSTS700213')
    expect(message).toContain("sub 'repo:octo-org/app:pull_request'")
    expect(message).toContain(`iss '${runner.issuer}'`)
    expect(message).toContain("aud 'api://AzureADTokenExchange'")
    expect(message).not.toContain('\n')
  })

  it('tells a subject that differs only in case apart', async () => {
    runner.setSubject(defaultSubject.toUpperCase())
    const error = await provider()
      .entraTokens.accessToken()
      .catch(e => e)
    expect((error as AuthError).message).toContain('AADSTS7002138')
  })

  it('names an unknown client id and an unknown tenant', async () => {
    const { idTokens } = provider()
    const mask = (): void => undefined
    const wrongClient = new EntraTokenProvider({
      tenantId,
      clientId: '00000000-0000-4000-8000-000000000000',
      authorityHost: entra.url,
      audience,
      idTokens,
      transport,
      mask
    })
    await expect(wrongClient.accessToken()).rejects.toThrow(/AADSTS700016.*check client-id/)
    const wrongTenant = new EntraTokenProvider({
      tenantId: 'not-a-tenant',
      clientId,
      authorityHost: entra.url,
      audience,
      idTokens,
      transport,
      mask
    })
    await expect(wrongTenant.accessToken()).rejects.toThrow(
      /could not describe tenant not-a-tenant.*check tenant-id/
    )
  })
})
