// The manifest of a files push, serialised the same way every time: fixed key
// order, annotations sorted, no whitespace. The same content gives the same
// bytes and so the same digest.

import { mediaTypes } from '../../registry/media-types.js'
import type { Descriptor } from '../../registry/types.js'

export interface ArtifactParts {
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  subject?: Descriptor
  annotations: Record<string, string>
}

export function artifactManifest(parts: ArtifactParts): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    ...(parts.artifactType ? { artifactType: parts.artifactType } : {}),
    config: descriptor(parts.config),
    layers: parts.layers.map(descriptor),
    ...(parts.subject ? { subject: descriptor(parts.subject) } : {}),
    ...(Object.keys(parts.annotations).length > 0 ? { annotations: sorted(parts.annotations) } : {})
  }
  return Buffer.from(JSON.stringify(manifest))
}

function descriptor(d: Descriptor): Descriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.artifactType ? { artifactType: d.artifactType } : {}),
    ...(d.annotations && Object.keys(d.annotations).length > 0
      ? { annotations: sorted(d.annotations) }
      : {})
  }
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
