// The inputs of pull: what to fetch, where to write it and in which form.

import type { CommonInputs, ManifestTarget } from '../inputs.js'
import type { Platform } from '../registry/types.js'
import { boolean, choice, fail, readPlatform, readRepository, readTarget, text } from './parsers.js'

export interface PullInputs extends CommonInputs {
  operation: 'pull'
  target: ManifestTarget
  path: string
  format: 'files' | 'oci-layout'
  platform: Platform
  /** Whether `platform` was given: an oci-layout pull then takes that image alone, not the whole index. */
  platformGiven: boolean
  cache: boolean
}

export function readPull(common: CommonInputs): PullInputs {
  const target = readTarget(readRepository(common.registry, 'pull'), 'pull')
  if (target.kind === 'repository') fail('tag', 'pull needs a tag or a digest')
  return {
    operation: 'pull',
    ...common,
    target,
    path: text('path') ?? '.',
    format: choice('format', ['files', 'oci-layout'] as const) ?? 'files',
    platform: readPlatform(),
    platformGiven: text('platform') !== undefined,
    cache: boolean('cache', true)
  }
}
