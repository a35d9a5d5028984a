// The whole Azure side of a sign-in, wired as in production: the runner's
// OIDC endpoint, Entra ID trusting it through a federated credential, and ACR
// trusting Entra ID, in front of a real registry, all under one test CA.

import { join } from 'node:path'
import { makeTempDir, removeTempDir } from '../rig/cleanup.js'
import { startRegistry, type Registry } from '../rig/registry.js'
import { createCertificateAuthority, type CertificateAuthority } from '../rig/tls.js'
import { startAcrEmulator, type AcrEmulator } from './acr/index.js'
import { startEntraEmulator, type EntraEmulator } from './entra/index.js'
import {
  defaultRun,
  defaultSubject,
  startGithubOidcEmulator,
  type GithubOidcEmulator
} from './github-oidc/index.js'

export const tenantId = '72f988bf-0000-4000-8000-000000000001'
export const clientId = '11111111-2222-4333-8444-555555555555'
/** The subject the runner presents by default, and the one the federated credential names. */
export const workflowSubject = defaultSubject(defaultRun)

export interface AzureLifetimes {
  idTokenSeconds?: number
  entraTokenSeconds?: number
  refreshTokenSeconds?: number
  accessTokenSeconds?: number
}

export interface Azure {
  ca: CertificateAuthority
  /** The CA as a file, for NODE_EXTRA_CA_CERTS. */
  caFile: string
  registry: Registry
  runner: GithubOidcEmulator
  entra: EntraEmulator
  acr: AcrEmulator
  /** Every secret any emulator handed out so far. */
  secrets(): string[]
  stop(): Promise<void>
}

export async function startAzure(lifetimes: AzureLifetimes = {}): Promise<Azure> {
  const dir = await makeTempDir('azure')
  const ca = await createCertificateAuthority(join(dir, 'ca'))
  const registry = await startRegistry()
  const runner = await startGithubOidcEmulator({ ca, lifetimeSeconds: lifetimes.idTokenSeconds })
  const entra = await startEntraEmulator({
    ca,
    trustedIssuers: [{ issuer: runner.issuer, publicKey: runner.publicKey }],
    federatedCredentials: [
      {
        tenantId,
        clientId,
        issuer: runner.issuer,
        subject: workflowSubject,
        audience: 'api://AzureADTokenExchange'
      }
    ],
    accessTokenLifetimeSeconds: lifetimes.entraTokenSeconds
  })
  const acr = await startAcrEmulator({
    ca,
    registry,
    // ACR takes only Entra tokens meant for it.
    verifyEntraToken: token => {
      const identity = entra.verifyAccessToken(token)
      return identity?.aud === 'https://containerregistry.azure.net' ? identity : undefined
    },
    refreshTokenLifetimeSeconds: lifetimes.refreshTokenSeconds,
    accessTokenLifetimeSeconds: lifetimes.accessTokenSeconds
  })
  return {
    ca,
    caFile: ca.cert,
    registry,
    runner,
    entra,
    acr,
    secrets: () => [
      runner.env().ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? '',
      ...runner.issuedTokens(),
      ...entra.issuedTokens(),
      ...acr.issuedTokens()
    ],
    stop: async () => {
      await acr.stop()
      await entra.stop()
      await runner.stop()
      await registry.stop()
      await removeTempDir(dir)
    }
  }
}
