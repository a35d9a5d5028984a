// What a push of `files` will send, worked out from the disk alone before any
// request: every layer with its title, the config, the manifest's artifact
// type and annotations. Bad paths fail here, as input errors.

import { readFile, stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { FilesError, findFiles } from '../../content/file-glob.js'
import { sha256Digest } from '../../content/digest.js'
import { InputError, type PushInputs } from '../../inputs.js'
import { maxManifestBytes } from '../../registry/manifests.js'
import { mediaTypes } from '../../registry/media-types.js'

export const titleAnnotation = 'org.opencontainers.image.title'
/** What oras writes when an artifact names no type of its own. */
export const defaultArtifactType = 'application/vnd.unknown.artifact.v1'
export const fileMediaType = 'application/octet-stream'
/** A config file of no stated type: not an image config, so no client takes the artifact for an image. */
export const defaultConfigMediaType = 'application/vnd.unknown.config.v1+json'

export type PlannedLayer =
  | { kind: 'file'; path: string; title: string; size: number }
  | { kind: 'folder'; path: string; title: string }

export interface ConfigBlob {
  mediaType: string
  bytes: Buffer
  digest: string
}

export interface FilesPlan {
  layers: PlannedLayer[]
  config: ConfigBlob
  /** Required with the empty config; with a config of its own, its media type says what the artifact is. */
  artifactType?: string
  annotations: Record<string, string>
}

const emptyConfig = Buffer.from('{}')

export async function planFiles(
  inputs: Pick<PushInputs, 'path' | 'config' | 'artifactType' | 'annotations'> & {
    files: string[]
  },
  env: NodeJS.ProcessEnv
): Promise<FilesPlan> {
  const base = resolve(inputs.path)
  const info = await stat(base).catch(() => undefined)
  if (!info?.isDirectory()) throw new InputError('path', `${base} is not a folder`)
  let found
  try {
    found = await findFiles(base, inputs.files)
  } catch (error) {
    if (error instanceof FilesError) throw new InputError('files', error.message)
    throw error
  }
  const layers: PlannedLayer[] = found.map(entry =>
    entry.kind === 'file'
      ? { kind: 'file', path: entry.path, title: entry.title, size: entry.size }
      : {
          kind: 'folder',
          path: entry.path,
          title: entry.title === '.' ? basename(base) : entry.title
        }
  )
  const config = await readConfig(inputs.config)
  return {
    layers,
    config,
    ...artifactTypeFor(inputs.artifactType, config),
    annotations: { ...workflowAnnotations(env), ...inputs.annotations }
  }
}

function artifactTypeFor(given: string | undefined, config: ConfigBlob): { artifactType?: string } {
  if (given !== undefined) return { artifactType: given }
  return config.mediaType === mediaTypes.ociEmpty ? { artifactType: defaultArtifactType } : {}
}

// `file` or `file:media/type`, as oras takes it, relative to the working
// directory like every other input path but the titles; small JSON, read whole.
async function readConfig(value: string | undefined): Promise<ConfigBlob> {
  if (value === undefined) {
    return { mediaType: mediaTypes.ociEmpty, bytes: emptyConfig, digest: sha256Digest(emptyConfig) }
  }
  const typed = /^(.+):([A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*)$/.exec(value)
  const file = typed?.[1] ?? value
  const path = resolve(file)
  const size = (await stat(path).catch(() => undefined))?.size
  if (size === undefined) throw new InputError('config', `${path} does not exist`)
  if (size > maxManifestBytes) {
    throw new InputError('config', `${path} is ${size} bytes; a config may be at most 4 MiB`)
  }
  const bytes = await readFile(path)
  return { mediaType: typed?.[2] ?? defaultConfigMediaType, bytes, digest: sha256Digest(bytes) }
}

// Where the content came from, when a workflow runs. Both stay the same for the
// same commit, so an unchanged push keeps its digest; a time would not.
function workflowAnnotations(env: NodeJS.ProcessEnv): Record<string, string> {
  const annotations: Record<string, string> = {}
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY) {
    annotations['org.opencontainers.image.source'] =
      `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}`
  }
  if (env.GITHUB_SHA) annotations['org.opencontainers.image.revision'] = env.GITHUB_SHA
  return annotations
}
