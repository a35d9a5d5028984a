// Everything the demo runs against, on loopback: the real distribution
// registry behind the ACR emulator, Entra ID trusting the runner's OIDC
// endpoint, all under one private CA (test/emulators/azure.ts), and a job's
// folders (workspace, RUNNER_TEMP, the tool cache) in one temporary folder.

import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { clientId, startAzure, tenantId, type Azure } from '../test/emulators/azure.js'
import { makeTempDir, removeTempDir } from '../test/rig/cleanup.js'

export interface DemoStack {
  azure: Azure
  /** The temporary folder that holds every file the demo makes. */
  dir: string
  /** The job's workspace (GITHUB_WORKSPACE), where steps run and files are made. */
  workspace: string
  /** The job's environment as the runner sets it, for a job with `id-token: write`. */
  env: Record<string, string>
  /** The inputs every step shares: where the registry is and who signs in. */
  signIn: Record<string, string>
  /** Stops servers and the registry, then removes the folder. Safe to call twice. */
  stop(): Promise<void>
}

export async function startStack(): Promise<DemoStack> {
  const dir = await makeTempDir('demo')
  let azure: Azure | undefined
  try {
    azure = await startAzure()
    const workspace = join(dir, 'workspace')
    const runner = join(dir, 'runner')
    const env = {
      HOME: join(runner, 'home'),
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: join(runner, 'temp'),
      RUNNER_TOOL_CACHE: join(runner, 'tool-cache'),
      // The emulators' certificates come from a private CA, which Node learns only at start.
      NODE_EXTRA_CA_CERTS: azure.caFile,
      ...azure.runner.env()
    }
    for (const folder of [workspace, env.HOME, env.RUNNER_TEMP, env.RUNNER_TOOL_CACHE]) {
      await mkdir(folder, { recursive: true })
    }
    const signIn = {
      registry: azure.acr.host,
      'client-id': clientId,
      'tenant-id': tenantId,
      // Entra ID's emulator stands in for login.microsoftonline.com.
      'authority-host': azure.entra.url
    }
    let stopping: Promise<void> | undefined
    const started = azure
    const stop = async (): Promise<void> => {
      try {
        await started.stop()
      } finally {
        await removeTempDir(dir)
      }
    }
    return { azure, dir, workspace, env, signIn, stop: () => (stopping ??= stop()) }
  } catch (error) {
    await azure?.stop()
    await removeTempDir(dir)
    throw error
  }
}
