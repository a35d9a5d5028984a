// The inputs of push and set-manifest: what to upload, how to name it, and
// the manifest around it. Read only when the operation is one of them.

import type { CommonInputs } from '../inputs.js'
import { fail, list, LINES, parse, quote, readRepository, readTags, text } from './parsers.js'
import { validateDigest } from '../registry/reference.js'

export interface PushInputs extends CommonInputs {
  operation: 'push'
  repository: string
  /** Empty: push by digest only. */
  tags: string[]
  content: { kind: 'files'; files: string[] } | { kind: 'oci-layout'; path: string }
  /** Titles of pushed files are relative to this folder. */
  path: string
  artifactType?: string
  annotations: Record<string, string>
  /** Path of a config file. */
  config?: string
  /** Digest of the manifest the pushed artifact refers to. */
  subject?: string
}

export interface SetManifestInputs extends CommonInputs {
  operation: 'set-manifest'
  repository: string
  /** Empty: put the manifest by digest only. */
  tags: string[]
  /** Path of the manifest JSON file. */
  manifest: string
}

export function readPush(common: CommonInputs): PushInputs {
  const repository = readRepository(common.registry, 'push')
  const files = list('files', LINES)
  const ociLayout = text('oci-layout')
  if (files.length > 0 && ociLayout !== undefined) {
    fail(
      'oci-layout',
      'cannot be combined with files: give files (one a line) or oci-layout, not both'
    )
  }
  const content: PushInputs['content'] =
    ociLayout !== undefined
      ? { kind: 'oci-layout', path: ociLayout }
      : files.length > 0
        ? { kind: 'files', files }
        : fail('files', 'push needs files (paths or globs, one a line) or oci-layout')
  const artifactType = text('artifact-type')
  if (artifactType !== undefined && !MEDIA_TYPE.test(artifactType)) {
    fail(
      'artifact-type',
      `${quote(artifactType)} is not a media type: type/subtype, as in application/vnd.example+json`
    )
  }
  const subject = text('subject')
  const config = text('config')
  return {
    operation: 'push',
    ...common,
    repository,
    tags: readTags(),
    content,
    path: text('path') ?? '.',
    ...(artifactType === undefined ? {} : { artifactType }),
    annotations: readAnnotations(),
    ...(config === undefined ? {} : { config }),
    ...(subject === undefined ? {} : { subject: parse('subject', () => validateDigest(subject)) })
  }
}

// RFC 6838 restricted names, without parameters.
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/

function readAnnotations(): Record<string, string> {
  const entries = list('annotations', LINES).map(line => {
    const equals = line.indexOf('=')
    const key = line.slice(0, Math.max(equals, 0)).trim()
    if (equals < 0 || key === '') {
      fail(
        'annotations',
        `${quote(line)} is not key=value: one annotation a line, the key not empty`
      )
    }
    return [key, line.slice(equals + 1).trim()] as const
  })
  const keys = entries.map(([key]) => key)
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i)
  if (repeated !== undefined) fail('annotations', `${quote(repeated)} is given twice`)
  // fromEntries defines own properties, so a key like __proto__ stays an annotation.
  return Object.fromEntries(entries)
}

export function readSetManifest(common: CommonInputs): SetManifestInputs {
  return {
    operation: 'set-manifest',
    ...common,
    repository: readRepository(common.registry, 'set-manifest'),
    tags: readTags(),
    manifest:
      text('manifest') ??
      fail('manifest', 'is required for set-manifest: the path of a manifest JSON file')
  }
}
