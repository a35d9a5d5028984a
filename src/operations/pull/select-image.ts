// Which image of a multi-platform index a pull of files takes: the one
// `platform` names, or an error that lists what the index has.

import { InputError } from '../../inputs.js'
import type { Descriptor, ImageIndex, Platform } from '../../registry/types.js'
import { formatPlatform, matchesPlatform } from '../inspect.js'

export function selectPlatform(index: ImageIndex, wanted: Platform, what: string): Descriptor {
  const images = index.manifests.filter(m => m.platform && m.platform.os !== 'unknown')
  const found = images.find(m => m.platform && matchesPlatform(m.platform, wanted))
  if (found) return found
  const have = images.map(m => formatPlatform(m.platform as Platform))
  throw new InputError(
    'platform',
    `${what} has no image for ${formatPlatform(wanted)}; it has ${have.length > 0 ? have.join(', ') : 'no platform images'}`
  )
}
