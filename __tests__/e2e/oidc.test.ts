// Sign in as a workflow does: the bundled action, the runner's OIDC endpoint,
// Entra ID, ACR's exchange and token grant, then /v2/ on the real registry
// and /acr/v1 for the tag's properties. Emulators stand in for Azure.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import {
  clientId,
  startAzure,
  tenantId,
  workflowSubject,
  type Azure
} from '../../test/emulators/azure.js'
import { runAction, type ActionRun } from '../../test/action/run-action.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { buildImage, pushImage, skopeoInspect } from '../../test/rig/images.js'

let azure: Azure
let work: string
const tagTime = new Date('2026-10-01T12:34:56.789Z')

beforeAll(async () => {
  azure = await startAzure()
  work = await makeTempDir('e2e-oidc')
  const layout = await buildImage({ dir: join(work, 'layout'), files: { 'app.txt': 'app' } })
  await pushImage(azure.registry, layout, 'team/app:v1')
  await azure.acr.setTagTime('team/app', 'v1', tagTime)
})

afterAll(async () => {
  await azure.stop()
  await removeTempDir(work)
})

afterEach(() => azure.runner.setSubject(workflowSubject))

function inspect(env: Record<string, string> = azure.runner.env()): Promise<ActionRun> {
  return runAction(
    {
      operation: 'inspect',
      registry: azure.acr.host,
      repository: 'team/app',
      tag: 'v1',
      'client-id': clientId,
      'tenant-id': tenantId,
      'authority-host': azure.entra.url
    },
    { ...env, NODE_EXTRA_CA_CERTS: azure.caFile }
  )
}

describe('inspect signed in with OIDC', () => {
  it('goes runner OIDC → Entra ID → exchange → token → /v2/ and shows tag properties from /acr/v1', async () => {
    const run = await inspect()
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('answers as Azure Container Registry (sign-in: oidc)')

    const skopeo = await skopeoInspect(azure.registry, 'team/app:v1')
    expect(run.outputs.digest).toBe(skopeo.digest)
    const result = JSON.parse(run.outputs.result ?? '{}') as {
      acr?: {
        tag?: { name: string; digest: string; lastUpdateTime: string; changeableAttributes: object }
      }
    }
    expect(result.acr?.tag).toMatchObject({
      name: 'v1',
      digest: skopeo.digest,
      lastUpdateTime: '2026-10-01T12:34:56.7890000Z',
      changeableAttributes: { writeEnabled: true, deleteEnabled: true }
    })
    expect(run.summary).toContain('Tag last updated')
    expect(run.summary).toContain('2026-10-01T12:34:56.7890000Z')

    const paths = azure.acr.requests().map(r => `${r.method} ${r.path}`)
    expect(paths).toContain('POST /oauth2/exchange')
    expect(paths).toContain('POST /oauth2/token')
    expect(paths).toContain('GET /acr/v1/team%2Fapp/_tags/v1')
    expect(azure.runner.requestCount()).toBeGreaterThan(0)
    expect(azure.entra.tokenRequestCount()).toBeGreaterThan(0)
  })

  it('shows no token from any emulator in logs, outputs or the summary', async () => {
    const run = await inspect()
    expect(run.exitCode).toBe(0)
    const secrets = azure.secrets()
    expect(secrets.length).toBeGreaterThan(5)
    for (const secret of secrets) expect(run.visible).not.toContain(secret)
    // Masked, which is how the runner keeps them out of its own logs.
    for (const secret of azure.runner.issuedTokens().slice(-1)) {
      expect(run.stdout).toContain(`::add-mask::${secret}`)
    }
  })

  it('fails with one line naming the presented subject when no federated credential matches', async () => {
    azure.runner.setSubject('repo:octo-org/app:environment:production')
    const run = await inspect()
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain('AADSTS700213')
    expect(run.errors[0]).toContain("sub 'repo:octo-org/app:environment:production'")
    expect(run.errors[0]).toContain(`iss '${azure.runner.issuer}'`)
    expect(run.errors[0]).toContain("aud 'api://AzureADTokenExchange'")
    for (const secret of azure.secrets()) expect(run.visible).not.toContain(secret)
  })

  it('fails with one line asking for id-token: write when the job lacks it, before any request', async () => {
    const before = azure.acr.requests().length
    const run = await inspect({})
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain('permissions: id-token: write')
    expect(azure.acr.requests().length).toBe(before)
  })
})
