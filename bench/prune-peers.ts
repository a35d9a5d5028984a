// The clients the prune benchmark sets side by side, each as the command of
// one measured process: this action as the runner runs it (signing in with
// OIDC inside its own process), the raw limit and the README script of the
// @azure/container-registry SDK (each with a token obtained before timing).

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { clientId, tenantId, type Azure } from '../test/emulators/azure.js'
import { runnerEnv } from './action-build.js'
import type { Command } from './measure.js'
import type { PruneFleet } from './prune-fleet.js'
import { writeJob } from './prune-job.js'
import { entraAccessToken, rawAccessToken } from './prune-tokens.js'

export type PrunePeerId = 'action' | 'raw' | 'sdk'

export interface PrunePeer {
  id: PrunePeerId
  /** How the table names the client. */
  label: string
  /** The command of one run, its credential obtained now; `scratch` is an empty folder of its own. */
  command(scratch: string): Promise<Command>
}

export interface PruneSetup {
  /** The bundled action's index.js, in a copy of dist/ taken when the bench began. */
  actionEntry: string
  azure: Azure
  fleet: PruneFleet
  concurrency: number
}

const CLIENTS = import.meta.dirname
// Throttled to 1,000 writes a minute, the README script needs minutes by design.
const TIMEOUT_MS = 30 * 60_000

export function prunePeers(setup: PruneSetup): PrunePeer[] {
  const { azure, fleet, concurrency } = setup
  const job = async (scratch: string, script: string, token: string): Promise<Command> => {
    const jobFile = join(scratch, 'job.json')
    await writeJob(jobFile, {
      url: azure.acr.url,
      caFile: azure.caFile,
      glob: fleet.glob,
      keep: fleet.size.keep,
      concurrency,
      token
    })
    return {
      file: process.execPath,
      args: [join(CLIENTS, script), jobFile],
      env: await runnerEnv(scratch),
      timeoutMs: TIMEOUT_MS
    }
  }
  return [
    {
      id: 'action',
      label: `this action (\`node dist/index.js\`, \`operation: prune\`, OIDC)`,
      command: async scratch => {
        const output = join(scratch, 'output')
        const summary = join(scratch, 'summary')
        await writeFile(output, '')
        await writeFile(summary, '')
        return {
          file: process.execPath,
          args: [setup.actionEntry],
          cwd: scratch,
          timeoutMs: TIMEOUT_MS,
          env: {
            ...(await runnerEnv(scratch)),
            ...azure.runner.env(),
            NODE_EXTRA_CA_CERTS: azure.caFile,
            GITHUB_ACTIONS: 'true',
            GITHUB_OUTPUT: output,
            GITHUB_STEP_SUMMARY: summary,
            INPUT_OPERATION: 'prune',
            INPUT_REGISTRY: azure.acr.host,
            INPUT_REPOSITORY: fleet.glob,
            'INPUT_KEEP-COUNT': String(fleet.size.keep),
            // The default cap (1,000) would hold back part of a nightly prune this size.
            'INPUT_MAX-DELETIONS': String(Math.max(1, fleet.deletions)),
            INPUT_CONCURRENCY: String(concurrency),
            'INPUT_CLIENT-ID': clientId,
            'INPUT_TENANT-ID': tenantId,
            'INPUT_AUTHORITY-HOST': azure.entra.url
          }
        }
      }
    },
    {
      id: 'raw',
      label: `raw limit (undici: list, then one manifest DELETE an image, ${concurrency} at a time)`,
      command: async scratch =>
        job(scratch, 'prune-raw.js', await rawAccessToken(azure, fleet.repositories))
    },
    {
      id: 'sdk',
      label: '`@azure/container-registry` README "Delete images" script, one call at a time',
      command: async scratch => job(scratch, 'prune-sdk.js', await entraAccessToken(azure))
    }
  ]
}

/** The action's `deleted-count` and `failed-count` outputs from a run's GITHUB_OUTPUT file. */
export async function actionCounts(
  scratch: string
): Promise<{ deleted: number; failed: number } | undefined> {
  const text = await readFile(join(scratch, 'output'), 'utf8').catch(() => '')
  // @actions/core writes `name<<delimiter`, the value, then the delimiter, each on its own line.
  const value = (name: string): number => {
    const lines = text.split('\n')
    const at = lines.findIndex(line => line.startsWith(`${name}<<`))
    return at < 0 ? NaN : Number(lines[at + 1])
  }
  const deleted = value('deleted-count')
  return Number.isNaN(deleted) ? undefined : { deleted, failed: value('failed-count') }
}
