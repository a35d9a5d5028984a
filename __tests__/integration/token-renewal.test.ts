// A long job stays signed in: with ID tokens of 20 s, Entra tokens of 30 s,
// ACR refresh tokens of 60 s and access tokens of 40 s, a 90-second job keeps
// reading through the real chain, and new ID tokens are asked for on the way.
// It runs in real time on purpose: MSAL keeps its own clock.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { AcrTokenSource } from '../../src/auth/acr-token.js'
import { Authorizer } from '../../src/auth/authorizer.js'
import { EntraTokenProvider } from '../../src/auth/entra.js'
import { GithubIdTokenSource } from '../../src/auth/github-oidc.js'
import { Transport } from '../../src/http/transport.js'
import { AcrMetadataClient } from '../../src/registry/acr-metadata.js'
import { RegistryClient } from '../../src/registry/client.js'
import { getManifest } from '../../src/registry/manifests.js'
import { clientId, startAzure, tenantId, type Azure } from '../../test/emulators/azure.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { buildImage, pushImage } from '../../test/rig/images.js'

const jobSeconds = 90
let azure: Azure
let work: string

beforeAll(async () => {
  azure = await startAzure({
    idTokenSeconds: 20,
    entraTokenSeconds: 30,
    refreshTokenSeconds: 60,
    accessTokenSeconds: 40
  })
  work = await makeTempDir('renewal')
  const layout = await buildImage({ dir: join(work, 'layout'), files: { f: 'long job' } })
  await pushImage(azure.registry, layout, 'team/app:v1')
})

afterAll(async () => {
  await azure.stop()
  await removeTempDir(work)
})

describe('a long job', () => {
  it(
    `stays signed in for ${jobSeconds} s while every token kind expires`,
    async () => {
      const transport = new Transport({ ca: azure.ca.pem, proxy: {} })
      const mask = (): void => undefined
      const idTokens = new GithubIdTokenSource(
        transport,
        'api://AzureADTokenExchange',
        mask,
        azure.runner.env()
      )
      const entra = new EntraTokenProvider({
        tenantId,
        clientId,
        authorityHost: azure.entra.url,
        audience: 'https://containerregistry.azure.net/.default',
        idTokens,
        transport,
        mask
      })
      const source = new AcrTokenSource({
        transport,
        entraToken: () => entra.accessToken(),
        tenantId,
        mask
      })
      const authorizer = new Authorizer({
        transport,
        credentials: { kind: 'token-source', source },
        mask
      })
      const client = new RegistryClient(azure.acr.url, transport, authorizer)
      const metadata = new AcrMetadataClient(client)

      const started = Date.now()
      let reads = 0
      try {
        while (Date.now() - started < jobSeconds * 1000) {
          const { descriptor } = await getManifest(client, 'team/app', 'v1')
          expect((await metadata.getTag('team/app', 'v1')).digest).toBe(descriptor.digest)
          reads++
          await new Promise(resolve => setTimeout(resolve, 2000))
        }
      } finally {
        await transport.close()
      }

      const acrCalls = azure.acr.requests()
      const exchanges = acrCalls.filter(r => r.path === '/oauth2/exchange')
      const grants = acrCalls.filter(r => r.path === '/oauth2/token')
      // The figures, for the record of what a run did.
      console.log(
        `renewal: ${reads} reads in ${jobSeconds} s; ${azure.runner.requestCount()} ID tokens, ${azure.entra.tokenRequestCount()} Entra tokens, ${exchanges.length} exchanges, ${grants.length} access-token grants`
      )
      expect(reads).toBeGreaterThanOrEqual(40)
      // No call was refused for an expired token: every 401 was answered with a fresh token.
      expect(acrCalls.filter(r => r.status >= 400 && r.status !== 401)).toEqual([])
      expect(exchanges.every(r => r.status === 200)).toBe(true)
      expect(exchanges.length).toBeGreaterThanOrEqual(2)
      expect(grants.length).toBeGreaterThanOrEqual(4)
      expect(azure.entra.tokenRequestCount()).toBeGreaterThanOrEqual(2)
      expect(azure.runner.requestCount()).toBeGreaterThanOrEqual(2)
      expect(idTokens.requests).toBe(azure.runner.requestCount())
    },
    (jobSeconds + 60) * 1000
  )
})
