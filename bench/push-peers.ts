// The clients the push benchmark sets side by side, each as the command of
// one measured process: this action as the runner runs it, skopeo, the raw
// limit and the @azure/container-registry SDK.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runnerEnv } from './action-build.js'
import type { Command } from './measure.js'
import { LAYOUT_TAG, type PushContent } from './push-content.js'
import { writeJob } from './push-job.js'

export type PeerId = 'action' | 'skopeo' | 'raw' | 'sdk'

export interface PushTarget {
  content: PushContent
  repository: string
  tag: string
  again: boolean
  /** An empty folder of this run's own, removed after it. */
  scratch: string
}

export interface Peer {
  id: PeerId
  /** How the table names the client. */
  label: string
  command(target: PushTarget): Promise<Command>
}

export interface PeerSetup {
  /** The bundled action's index.js, in a copy of dist/ taken when the bench began. */
  actionEntry: string
  /** The plain-HTTP registry: `http://127.0.0.1:PORT`. */
  registryUrl: string
  registryHost: string
  concurrency: number
  /** The ACR emulator in front of the same registry, for the SDK. */
  acr: { url: string; caFile: string; token: string }
}

const CLIENTS = import.meta.dirname

export function peers(setup: PeerSetup): Peer[] {
  return [
    {
      id: 'action',
      label: 'this action (`node dist/index.js`)',
      command: async target => {
        const output = join(target.scratch, 'output')
        const summary = join(target.scratch, 'summary')
        await writeFile(output, '')
        await writeFile(summary, '')
        return {
          file: process.execPath,
          args: [setup.actionEntry],
          cwd: target.scratch,
          env: {
            ...(await runnerEnv(target.scratch)),
            GITHUB_ACTIONS: 'true',
            GITHUB_OUTPUT: output,
            GITHUB_STEP_SUMMARY: summary,
            INPUT_OPERATION: 'push',
            INPUT_REGISTRY: setup.registryUrl,
            INPUT_REPOSITORY: target.repository,
            INPUT_TAG: target.tag,
            INPUT_PATH: target.content.folder,
            INPUT_FILES: target.content.filesInput
          }
        }
      }
    },
    {
      id: 'skopeo',
      label: 'skopeo `copy --preserve-digests` from an OCI layout (6 layers at a time)',
      command: async target => ({
        file: 'skopeo',
        args: [
          '--insecure-policy',
          'copy',
          '--quiet',
          '--preserve-digests',
          '--dest-tls-verify=false',
          `oci:${target.content.layout}:${LAYOUT_TAG}`,
          `docker://${setup.registryHost}/${target.repository}:${target.tag}`
        ],
        env: { ...(await runnerEnv(target.scratch)), ...freshBlobInfoCache(target.scratch) }
      })
    },
    {
      id: 'raw',
      label: `raw limit (undici: POST + one PUT per blob, ${setup.concurrency} at a time)`,
      command: async target => clientCommand('raw-client.js', target, setup.registryUrl, setup)
    },
    {
      id: 'sdk',
      label: `\`@azure/container-registry\` \`uploadBlob\`, ${setup.concurrency} at a time, over HTTPS through the ACR emulator`,
      command: async target => clientCommand('sdk-client.js', target, setup.acr.url, setup)
    }
  ]
}

/** The SDK pointed at the registry itself, not at the emulator: run once to show why it cannot be. */
export function sdkWithoutEmulator(setup: PeerSetup): Peer {
  return {
    id: 'sdk',
    label: '`@azure/container-registry` straight to the registry',
    command: async target => clientCommand('sdk-client.js', target, setup.registryUrl, setup)
  }
}

/**
 * containers/image keeps its blob-info cache under /var/lib/containers/cache
 * for root and under $XDG_DATA_HOME/containers/cache for anyone else, and
 * takes the user from _CONTAINERS_ROOTLESS_UID when that is set. With both
 * pointed at this run's folder, every skopeo run starts with an empty cache,
 * as on a fresh runner, whoever runs the bench.
 */
export function freshBlobInfoCache(scratch: string): Record<string, string> {
  return { XDG_DATA_HOME: join(scratch, 'data'), _CONTAINERS_ROOTLESS_UID: '1001' }
}

export const skopeoCacheFile = (scratch: string): string =>
  join(scratch, 'data', 'containers', 'cache', 'blob-info-cache-v1.boltdb')

async function clientCommand(
  script: string,
  target: PushTarget,
  url: string,
  setup: PeerSetup
): Promise<Command> {
  const jobFile = join(target.scratch, 'job.json')
  const { content } = target
  await writeJob(jobFile, {
    url,
    repository: target.repository,
    tag: target.tag,
    again: target.again,
    concurrency: setup.concurrency,
    blobs: [content.config, ...content.layers],
    manifest: content.manifest,
    ...(script === 'sdk-client.js' && { caFile: setup.acr.caFile, token: setup.acr.token })
  })
  return {
    file: process.execPath,
    args: [join(CLIENTS, script), jobFile],
    env: await runnerEnv(target.scratch)
  }
}
