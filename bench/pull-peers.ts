// The clients the pull benchmark sets side by side, each as the command of
// one measured process: this action as the runner runs it (without and with
// the tool cache), skopeo, the raw limit, and curl with sha256sum as the
// machine's floor for one blob (and curl alone, to show what the hash costs).
// Each also says where the bytes it pulled should be, so that its first run
// can be checked against the originals.

import { runnerEnv } from './action-build.js'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from './measure.js'
import type { PullContent } from './pull-content.js'
import { writePullJob } from './pull-job.js'
import { freshBlobInfoCache } from './push-peers.js'

export type PullPeerId = 'action' | 'action-cache' | 'skopeo' | 'raw' | 'curl' | 'curl-bare'

export interface PullTarget {
  content: PullContent
  /** An empty folder of this run's own, removed after it. */
  scratch: string
}

export interface Landed {
  /** Where a copy of `original` should be after the run. */
  path: string
  original: string
}

export interface PullPeer {
  id: PullPeerId
  /** How the table names the client. */
  label: string
  /** Whether it pulls this content at all (curl fetches one blob). */
  pulls(content: PullContent): boolean
  command(target: PullTarget): Promise<Command>
  /** Every copy the run should have made, and the folder that should hold those alone, if any. */
  landed(target: PullTarget): { files: Landed[]; only?: string }
}

export interface PullSetup {
  /** The bundled action's index.js, in a copy of dist/ taken when the bench began. */
  actionEntry: string
  /** The plain-HTTP registry: `http://127.0.0.1:PORT`. */
  registryUrl: string
  registryHost: string
  concurrency: number
}

const out = (target: PullTarget): string => join(target.scratch, 'out')
const toolCache = (target: PullTarget): string => join(target.scratch, 'toolcache')

/** Each layer under its title in the run's output folder, and nothing else there. */
function byTitle(target: PullTarget): { files: Landed[]; only: string } {
  const folder = out(target)
  const files = target.content.layers.map(l => ({ path: join(folder, l.title), original: l.path }))
  return { files, only: folder }
}

function actionPeer(setup: PullSetup, cache: boolean): PullPeer {
  return {
    id: cache ? 'action-cache' : 'action',
    label: cache
      ? 'this action, `cache: true`, empty tool cache'
      : 'this action (`node dist/index.js`), `cache: false`',
    pulls: () => true,
    command: async target => {
      const output = join(target.scratch, 'output')
      const summary = join(target.scratch, 'summary')
      await writeFile(output, '')
      await writeFile(summary, '')
      if (cache) await mkdir(toolCache(target))
      return {
        file: process.execPath,
        args: [setup.actionEntry],
        cwd: target.scratch,
        env: {
          ...(await runnerEnv(target.scratch)),
          ...(cache && { RUNNER_TOOL_CACHE: toolCache(target) }),
          GITHUB_ACTIONS: 'true',
          GITHUB_OUTPUT: output,
          GITHUB_STEP_SUMMARY: summary,
          INPUT_OPERATION: 'pull',
          INPUT_REGISTRY: setup.registryUrl,
          INPUT_REPOSITORY: target.content.repository,
          INPUT_TAG: target.content.tag,
          INPUT_FORMAT: 'files',
          INPUT_PATH: out(target),
          INPUT_CACHE: String(cache)
        }
      }
    },
    landed: target => {
      const { files, only } = byTitle(target)
      if (!cache) return { files, only }
      // The layout @actions/tool-cache reads: <tool>/<version>/<arch>/blob.
      const entries = target.content.layers.map(layer => ({
        path: join(
          toolCache(target),
          `acr-action-blob-${layer.digest.replace(':', '-')}`,
          '1.0.0',
          'any',
          'blob'
        ),
        original: layer.path
      }))
      return { files: [...files, ...entries], only }
    }
  }
}

export function pullPeers(setup: PullSetup): PullPeer[] {
  return [
    actionPeer(setup, false),
    actionPeer(setup, true),
    {
      id: 'skopeo',
      label: 'skopeo `copy --preserve-digests` to an OCI layout',
      pulls: () => true,
      command: async target => ({
        file: 'skopeo',
        args: [
          '--insecure-policy',
          'copy',
          '--quiet',
          '--preserve-digests',
          '--src-tls-verify=false',
          `docker://${setup.registryHost}/${target.content.repository}:${target.content.tag}`,
          `oci:${join(target.scratch, 'oci')}:${target.content.tag}`
        ],
        env: { ...(await runnerEnv(target.scratch)), ...freshBlobInfoCache(target.scratch) }
      }),
      landed: target => ({
        files: target.content.layers.map(layer => ({
          path: join(
            target.scratch,
            'oci',
            'blobs',
            'sha256',
            layer.digest.slice('sha256:'.length)
          ),
          original: layer.path
        }))
      })
    },
    {
      id: 'raw',
      label: `raw limit (undici: one GET per blob, hashed while written, ${setup.concurrency} at a time, largest first)`,
      pulls: () => true,
      command: async target => {
        const jobFile = join(target.scratch, 'job.json')
        await mkdir(out(target))
        await writePullJob(jobFile, {
          url: setup.registryUrl,
          repository: target.content.repository,
          tag: target.content.tag,
          concurrency: setup.concurrency,
          out: out(target)
        })
        return {
          file: process.execPath,
          args: [join(import.meta.dirname, 'pull-raw-client.js'), jobFile],
          env: await runnerEnv(target.scratch)
        }
      },
      landed: byTitle
    },
    curlPeer(setup, true),
    curlPeer(setup, false)
  ]
}

/**
 * curl fetching the one blob: with `sha256sum` after it, the floor the bench
 * was asked for; alone, what the transfer and the write cost without any
 * hashing, which shows how much of the floor is coreutils' hash.
 */
function curlPeer(setup: PullSetup, verify: boolean): PullPeer {
  return {
    id: verify ? 'curl' : 'curl-bare',
    label: verify
      ? 'floor: `curl -o` of the one blob, then `sha256sum`'
      : '`curl -o` of the one blob alone, no digest check',
    pulls: content => content.layers.length === 1,
    command: async target => {
      const layer = target.content.layers[0]
      if (!layer) throw new Error(`${target.content.label} has no layer`)
      await mkdir(out(target))
      const url = `${setup.registryUrl}/v2/${target.content.repository}/blobs/${layer.digest}`
      const check = verify ? ' && test "$(sha256sum < "$1" | cut -c1-64)" = "$3"' : ''
      return {
        file: '/bin/sh',
        args: [
          '-c',
          `curl -fsS -o "$1" "$2"${check}`,
          'sh',
          join(out(target), layer.title),
          url,
          layer.digest.slice('sha256:'.length)
        ],
        env: await runnerEnv(target.scratch)
      }
    },
    landed: byTitle
  }
}
